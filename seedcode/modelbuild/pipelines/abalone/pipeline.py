"""The abalone SageMaker pipeline.

Preprocess (scikit-learn processing) -> Train (built-in XGBoost, squared-error
regression) -> Evaluate (writes evaluation.json and the test split's predictions) -> if
the test MSE is at most the MseThreshold parameter, Register the model in the project's
model package group (with its metrics and baselines), else Fail with a message giving
the MSE and the threshold.

Beside them, two quality checks (SageMaker Model Monitor's analyzer) compute baselines:
the data-quality check on the training features (as the endpoint receives them), the
model-quality check on the test split's predictions and labels (regression metrics).
Each compares its new baseline with the one of the group's latest Approved version and
fails the execution on a violation, unless its Skip...Check parameter is true; the
version registers the new baselines as its ModelMetrics, and as its
DriftCheckBaselines either the new ones (Register...Baseline true) or those it was
checked against, which the deploy pipeline monitors its endpoints with. As in
SageMaker's own monitoring template, Supplied... parameters give a baseline to check
against instead of the latest Approved version's. run-pipeline skips a check and
registers its new baseline while no Approved version carries one (the first version).

Instance types, the input data, the approval status and the threshold are pipeline
parameters: override them per execution (``pipeline.start(parameters={...})``) without
changing code. The expensive steps are cached, so re-running an execution with the
same inputs reuses their results until the cache expires.

Everything the pipeline writes goes to the project's artifact bucket under
``<base_job_prefix>/`` (code, processing outputs, model artifacts), encrypted with the
project's key when one is given.

Built with the SageMaker Python SDK v3 (ModelTrainer, ScriptProcessor, ModelBuilder and
the ``sagemaker.mlops.workflow`` steps); its definition is step for step the one the
v2 seed wrote, so a pipeline the v2 seed created is updated in place.
"""

from __future__ import annotations

import os
from typing import List, Optional, Tuple, Union

import boto3
from sagemaker.core import image_uris
from sagemaker.core.drift_check_baselines import DriftCheckBaselines
from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.model_monitor.dataset_format import DatasetFormat
from sagemaker.core.network import NetworkConfig
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output, Tag
from sagemaker.core.training.configs import Compute, InputData, Networking, OutputDataConfig, StoppingCondition
from sagemaker.core.workflow.conditions import ConditionLessThanOrEqualTo
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import ParameterBoolean, ParameterFloat, ParameterInteger, ParameterString
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, ModelQualityCheckConfig, QualityCheckStep
from sagemaker.mlops.workflow.steps import CacheConfig, ProcessingStep, TrainingStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train.model_trainer import ModelTrainer

from pipelines._utils import project_role_checks_off
from pipelines.abalone.evaluate import LABEL_COLUMN, PREDICTION_COLUMN
from pipelines.abalone.training import HYPERPARAMETERS

BASE_DIR = os.path.dirname(os.path.realpath(__file__))

# The SageMaker containers the steps run in: the newest scikit-learn and XGBoost
# framework versions the SDK knows. tests/containers/ pins the libraries they ship,
# which the scripts are also tested with.
SKLEARN_FRAMEWORK_VERSION = "1.9-0"
XGBOOST_FRAMEWORK_VERSION = "3.2-0"

# The longest a training job may run: SDK v2's default, which the v2 seed's pipelines
# run with (v3's default is one hour).
TRAINING_MAX_RUNTIME_SECONDS = 24 * 60 * 60

# Training and evaluation run network-isolated: the built-in XGBoost container reads
# its channels and writes its outputs through SageMaker, and calls nothing. Set this to
# False if your training or evaluation code must reach the network (e.g. to download
# packages or call a service). Preprocessing is not isolated: it downloads the input
# data itself.
NETWORK_ISOLATION = True

# Names of the steps, as SageMaker Studio shows them. The registration step keeps the
# name SDK v2 gave it (the ModelStep's name plus "-RegisterModel").
PREPROCESS_STEP = "PreprocessAbaloneData"
TRAIN_STEP = "TrainAbaloneModel"
EVALUATE_STEP = "EvaluateAbaloneModel"
CONDITION_STEP = "CheckMSEAbaloneEvaluation"
REGISTER_STEP = "RegisterAbaloneModel-RegisterModel"
FAIL_STEP = "AbaloneMSEAboveThreshold"
DATA_QUALITY_STEP = "CheckDataQualityAbalone"
MODEL_QUALITY_STEP = "CheckModelQualityAbalone"

# The quality checks: the parameters of each (named as in SageMaker's own monitoring
# template) by the prefix of their names, and the check jobs' resources, as in AWS's
# sample (a check job is one instance of SageMaker Model Monitor's analyzer).
CHECKS = ("DataQuality", "ModelQuality")
CHECK_INSTANCE_TYPE = "ml.m5.xlarge"
CHECK_VOLUME_GB = 120
CHECK_MAX_RUNTIME_SECONDS = 60 * 60
# Where a model version keeps each check's baseline (DriftCheckBaselines).
DRIFT_BASELINE_KEYS = {"DataQuality": "ModelDataQuality", "ModelQuality": "ModelQuality"}


def default_input_data(region: str) -> str:
    """The public abalone CSV the original template uses, in the region's bucket."""
    return "s3://sagemaker-servicecatalog-seedcode-{}/dataset/abalone-dataset.csv".format(region)


def get_session(region: str, default_bucket: Optional[str]) -> PipelineSession:
    """A pipeline session in region whose default bucket is the project's."""
    boto_session = boto3.Session(region_name=region)
    return PipelineSession(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker"),
        default_bucket=default_bucket,
    )


def processing_output(name: str) -> ProcessingOutput:
    """An output the step writes to /opt/ml/processing/<name>; SageMaker Pipelines
    uploads it to a location of the execution (the URI given is the local path, which
    the SDK replaces, as v2 did for an output without destination)."""
    local = "/opt/ml/processing/" + name
    return ProcessingOutput(output_name=name, s3_output=ProcessingS3Output(s3_uri=local, local_path=local, s3_upload_mode="EndOfJob"))


def ids(value: Union[str, List[str], None]) -> List[str]:
    """A list of ids from a list, a comma-separated string, or nothing."""
    if not value:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [v.strip() for v in value if v.strip()]


def job_vpc(subnets, security_group_ids) -> Optional[Tuple[List[str], List[str]]]:
    """The jobs' subnets and security groups, None outside a VPC; both or neither."""
    subnets, groups = ids(subnets), ids(security_group_ids)
    if not subnets and not groups:
        return None
    if not subnets or not groups:
        raise ValueError(
            "subnets {} and security_group_ids {}: a job in a VPC needs both (the build passes SAGEMAKER_SUBNET_IDS "
            "and SAGEMAKER_SECURITY_GROUP_IDS)".format(subnets, groups)
        )
    return subnets, groups


def processing_network(vpc, isolated: bool) -> Optional[NetworkConfig]:
    """A processing job's network: isolated or not, in the VPC if any, its traffic
    between instances encrypted there."""
    if vpc is None:
        return NetworkConfig(enable_network_isolation=True) if isolated else None
    subnets, groups = vpc
    return NetworkConfig(
        enable_network_isolation=isolated, subnets=subnets, security_group_ids=groups, encrypt_inter_container_traffic=True
    )


class CheckNetworkConfig(NetworkConfig, dict):
    """A NetworkConfig that is also its request: the quality check steps of SDK 3.27
    copy the object itself into the job's arguments
    (sagemaker/mlops/workflow/_check_job_request.py), which the definition's JSON
    cannot hold."""

    @classmethod
    def of(cls, config: Optional[NetworkConfig]) -> Optional["CheckNetworkConfig"]:
        if config is None:
            return None
        out = cls(
            enable_network_isolation=config.enable_network_isolation, security_group_ids=config.security_group_ids,
            subnets=config.subnets, encrypt_inter_container_traffic=config.encrypt_inter_container_traffic,
        )
        dict.update(out, out._to_request_dict())
        return out


def training_network(vpc) -> Networking:
    """The training job's network: isolated (NETWORK_ISOLATION), in the VPC if any, its
    traffic between instances encrypted there."""
    if vpc is None:
        return Networking(enable_network_isolation=NETWORK_ISOLATION)
    subnets, groups = vpc
    return Networking(
        enable_network_isolation=NETWORK_ISOLATION, subnets=subnets, security_group_ids=groups,
        enable_inter_container_traffic_encryption=True,
    )


def processing_input(name: str, uri, local: str) -> ProcessingInput:
    """An S3 prefix the step reads at local."""
    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(s3_uri=uri, local_path=local, s3_data_type="S3Prefix", s3_input_mode="File"),
    )


def get_pipeline(
    region: str,
    role: Optional[str] = None,
    default_bucket: Optional[str] = None,
    pipeline_name: str = "AbalonePipeline",
    model_package_group_name: str = "AbalonePackageGroup",
    base_job_prefix: str = "Abalone",
    processing_instance_type: Optional[str] = None,
    training_instance_type: Optional[str] = None,
    kms_key: Optional[str] = None,
    cache_expire_after: str = "P30D",
    tags: Optional[List[dict]] = None,
    subnets: Union[str, List[str], None] = None,
    security_group_ids: Union[str, List[str], None] = None,
) -> Pipeline:
    """Builds the pipeline.

    Args:
        region: AWS region of the pipeline.
        role: IAM role the pipeline and its jobs run with.
        default_bucket: the project's artifact bucket.
        pipeline_name: name of the SageMaker pipeline.
        model_package_group_name: the model registry group versions are registered in.
        base_job_prefix: S3 prefix of everything the pipeline writes.
        processing_instance_type: replaces the default of the ProcessingInstanceType
            parameter written below (e.g. from a notebook).
        training_instance_type: replaces the default of the TrainingInstanceType
            parameter written below.
        kms_key: KMS key that encrypts job outputs and volumes.
        cache_expire_after: ISO 8601 duration after which cached step results expire.
        tags: tags ({"Key": ..., "Value": ...}) of the jobs and the model versions.
        subnets: private subnets the jobs run in (a list, or ids separated by commas,
            as the build passes SAGEMAKER_SUBNET_IDS); none or empty: AWS-managed
            networking.
        security_group_ids: the jobs' security groups in those subnets (same forms).
    """
    # The parameters below take the names of these two arguments.
    processing_override, training_override = processing_instance_type, training_instance_type
    session = get_session(region, default_bucket)
    bucket = session.default_bucket()
    if role is None:
        from sagemaker.core.helper.session_helper import get_execution_role

        role = get_execution_role(session)

    processing_instance_count = ParameterInteger(name="ProcessingInstanceCount", default_value=1)
    # The instance types the pipeline runs with unless an execution says otherwise: the
    # project's processingInstanceType and trainingInstanceType, written here when the
    # repository was seeded. Change them here and push to change them for good.
    processing_instance_type = ParameterString(
        name="ProcessingInstanceType", default_value="ml.m5.xlarge"
    )
    training_instance_type = ParameterString(
        name="TrainingInstanceType", default_value="ml.m5.xlarge"
    )
    if processing_override:
        processing_instance_type = ParameterString(name="ProcessingInstanceType", default_value=processing_override)
    if training_override:
        training_instance_type = ParameterString(name="TrainingInstanceType", default_value=training_override)
    model_approval_status = ParameterString(name="ModelApprovalStatus", default_value="PendingManualApproval")
    input_data = ParameterString(name="InputDataUrl", default_value=default_input_data(region))
    mse_threshold = ParameterFloat(name="MseThreshold", default_value=6.0)
    check_params = {check: check_parameters(check) for check in CHECKS}
    vpc = job_vpc(subnets, security_group_ids)
    cache = CacheConfig(enable_caching=True, expire_after=cache_expire_after)

    # The image of a processing job does not depend on its instance type (a parameter
    # here): the CPU image serves every type the parameter may take.
    sklearn_image = image_uris.retrieve(
        framework="sklearn", region=region, version=SKLEARN_FRAMEWORK_VERSION, py_version="py3", instance_type="ml.m5.xlarge"
    )
    preprocessor = ScriptProcessor(
        image_uri=sklearn_image,
        command=["python3"],
        instance_type=processing_instance_type,
        instance_count=processing_instance_count,
        base_job_name="{}-preprocess".format(base_job_prefix),
        sagemaker_session=session,
        role=role,
        output_kms_key=kms_key,
        volume_kms_key=kms_key,
        network_config=processing_network(vpc, isolated=False),
        tags=tags,
    )
    step_process = ProcessingStep(
        name=PREPROCESS_STEP,
        step_args=preprocessor.run(
            outputs=[processing_output("train"), processing_output("validation"), processing_output("test"), processing_output("baseline")],
            code=os.path.join(BASE_DIR, "preprocess.py"),
            arguments=["--input-data", input_data],
        ),
        cache_config=cache,
    )

    image_uri = image_uris.retrieve(framework="xgboost", region=region, version=XGBOOST_FRAMEWORK_VERSION, py_version="py3")
    with project_role_checks_off():
        trainer = ModelTrainer(
            training_image=image_uri,
            compute=Compute(instance_type=training_instance_type, instance_count=1, volume_kms_key_id=kms_key),
            output_data_config=OutputDataConfig(s3_output_path="s3://{}/{}/AbaloneTrain".format(bucket, base_job_prefix), kms_key_id=kms_key),
            stopping_condition=StoppingCondition(max_runtime_in_seconds=TRAINING_MAX_RUNTIME_SECONDS),
            hyperparameters=HYPERPARAMETERS,
            networking=training_network(vpc),
            base_job_name="{}-train".format(base_job_prefix),
            sagemaker_session=session,
            role=role,
            tags=[Tag(key=t["Key"], value=t["Value"]) for t in tags or []] or None,
        )
    outputs = step_process.properties.ProcessingOutputConfig.Outputs
    step_train = TrainingStep(
        name=TRAIN_STEP,
        step_args=trainer.train(
            input_data_config=[
                InputData(channel_name="train", data_source=outputs["train"].S3Output.S3Uri, content_type="text/csv"),
                InputData(channel_name="validation", data_source=outputs["validation"].S3Output.S3Uri, content_type="text/csv"),
            ]
        ),
        cache_config=cache,
    )

    evaluator = ScriptProcessor(
        image_uri=image_uri,
        command=["python3"],
        instance_type=processing_instance_type,
        instance_count=1,
        base_job_name="{}-evaluate".format(base_job_prefix),
        sagemaker_session=session,
        role=role,
        output_kms_key=kms_key,
        volume_kms_key=kms_key,
        network_config=processing_network(vpc, isolated=NETWORK_ISOLATION),
        tags=tags,
    )
    evaluation_report = PropertyFile(name="AbaloneEvaluationReport", output_name="evaluation", path="evaluation.json")
    step_eval = ProcessingStep(
        name=EVALUATE_STEP,
        step_args=evaluator.run(
            # The inputs keep the names SDK v2 generated, so cached results still match.
            inputs=[
                processing_input("input-1", step_train.properties.ModelArtifacts.S3ModelArtifacts, "/opt/ml/processing/model"),
                processing_input("input-2", outputs["test"].S3Output.S3Uri, "/opt/ml/processing/test"),
            ],
            outputs=[processing_output("evaluation"), processing_output("predictions")],
            code=os.path.join(BASE_DIR, "evaluate.py"),
        ),
        property_files=[evaluation_report],
        cache_config=cache,
    )

    eval_outputs = step_eval.properties.ProcessingOutputConfig.Outputs
    check_job = CheckJobConfig(
        role=role,
        instance_count=1,
        instance_type=CHECK_INSTANCE_TYPE,
        volume_size_in_gb=CHECK_VOLUME_GB,
        volume_kms_key=kms_key,
        output_kms_key=kms_key,
        max_runtime_in_seconds=CHECK_MAX_RUNTIME_SECONDS,
        base_job_name="{}-check".format(base_job_prefix),
        sagemaker_session=session,
        network_config=CheckNetworkConfig.of(processing_network(vpc, isolated=False)),
        tags=tags,
    )
    step_data_quality = quality_check_step(
        DATA_QUALITY_STEP,
        DataQualityCheckConfig(
            baseline_dataset=outputs["baseline"].S3Output.S3Uri,
            dataset_format=DatasetFormat.csv(header=False),
            output_s3_uri=check_output_uri(bucket, base_job_prefix, DATA_QUALITY_STEP),
        ),
        check_params["DataQuality"], check_job, model_package_group_name, cache,
    )
    step_model_quality = quality_check_step(
        MODEL_QUALITY_STEP,
        ModelQualityCheckConfig(
            baseline_dataset=eval_outputs["predictions"].S3Output.S3Uri,
            dataset_format=DatasetFormat.csv(header=True),
            output_s3_uri=check_output_uri(bucket, base_job_prefix, MODEL_QUALITY_STEP),
            problem_type="Regression",
            inference_attribute=PREDICTION_COLUMN,
            ground_truth_attribute=LABEL_COLUMN,
        ),
        check_params["ModelQuality"], check_job, model_package_group_name, cache,
    )

    evaluation_uri = eval_outputs["evaluation"].S3Output.S3Uri
    # dependencies={}: by default ModelBuilder adds script-mode variables with an empty
    # SAGEMAKER_PROGRAM to the version's container, which the built-in XGBoost serving
    # would then try to import as a module; the built-in algorithm needs none.
    model = ModelBuilder(
        s3_model_data_url=step_train.properties.ModelArtifacts.S3ModelArtifacts,
        image_uri=image_uri,
        sagemaker_session=session,
        role_arn=role,
        dependencies={},
    )
    step_register = ModelStep(
        name=REGISTER_STEP,
        step_args=model.register(
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=["ml.t2.medium", "ml.m5.large"],
            transform_instances=["ml.m5.large"],
            model_package_group_name=model_package_group_name,
            approval_status=model_approval_status,
            model_metrics=ModelMetrics(
                model_statistics=json_source(Join(on="/", values=[evaluation_uri, "evaluation.json"])),
                model_constraints=json_source(step_model_quality.properties.CalculatedBaselineConstraints),
                model_data_statistics=json_source(step_data_quality.properties.CalculatedBaselineStatistics),
                model_data_constraints=json_source(step_data_quality.properties.CalculatedBaselineConstraints),
            ),
            drift_check_baselines=DriftCheckBaselines(
                model_statistics=json_source(step_model_quality.properties.BaselineUsedForDriftCheckStatistics),
                model_constraints=json_source(step_model_quality.properties.BaselineUsedForDriftCheckConstraints),
                model_data_statistics=json_source(step_data_quality.properties.BaselineUsedForDriftCheckStatistics),
                model_data_constraints=json_source(step_data_quality.properties.BaselineUsedForDriftCheckConstraints),
            ),
            customer_metadata_properties={t["Key"]: t["Value"] for t in (tags or [])} or None,
        ),
    )

    mse = JsonGet(step_name=step_eval.name, property_file=evaluation_report, json_path="regression_metrics.mse.value")
    step_fail = FailStep(
        name=FAIL_STEP,
        error_message=Join(on=" ", values=["The model's MSE", mse, "is above the MseThreshold of", mse_threshold]),
    )
    step_cond = ConditionStep(
        name=CONDITION_STEP,
        conditions=[ConditionLessThanOrEqualTo(left=mse, right=mse_threshold)],
        if_steps=[step_register],
        else_steps=[step_fail],
    )

    return Pipeline(
        name=pipeline_name,
        parameters=[
            processing_instance_count,
            processing_instance_type,
            training_instance_type,
            model_approval_status,
            input_data,
            mse_threshold,
            *[param for check in CHECKS for param in check_params[check].values()],
        ],
        # The checks come last so that the steps SDK v2 wrote keep their places.
        steps=[step_process, step_train, step_eval, step_cond, step_data_quality, step_model_quality],
        sagemaker_session=session,
    )


def check_parameters(check: str) -> dict:
    """The pipeline parameters of a quality check (check is "DataQuality" or
    "ModelQuality"), keyed by the QualityCheckStep argument each sets: skip the
    comparison with the previous baseline, register the new baseline as the one to
    check against from now on, or check against a supplied baseline (S3 URIs; empty:
    the group's latest Approved version's)."""
    return {
        "skip_check": ParameterBoolean(name="Skip{}Check".format(check), default_value=False),
        "register_new_baseline": ParameterBoolean(name="RegisterNew{}Baseline".format(check), default_value=False),
        "supplied_baseline_statistics": ParameterString(name="{}SuppliedStatistics".format(check), default_value=""),
        "supplied_baseline_constraints": ParameterString(name="{}SuppliedConstraints".format(check), default_value=""),
    }


def quality_check_step(name: str, config, params: dict, job: CheckJobConfig, group: str, cache: CacheConfig) -> QualityCheckStep:
    """A quality check that fails the execution on a violation of its baseline."""
    return QualityCheckStep(
        name=name,
        quality_check_config=config,
        check_job_config=job,
        fail_on_violation=True,
        model_package_group_name=group,
        cache_config=cache,
        **params,
    )


def check_output_uri(bucket: str, base_job_prefix: str, step_name: str) -> Join:
    """Where a check writes its statistics and constraints: a location of the
    execution, as SageMaker Pipelines gives the processing steps' outputs, so that a
    version's baselines are never overwritten by a later execution."""
    return Join(on="/", values=["s3:/", bucket, base_job_prefix, ExecutionVariables.PIPELINE_EXECUTION_ID, step_name, "output"])


def json_source(uri) -> MetricsSource:
    """A JSON metrics or baseline file at uri."""
    return MetricsSource(s3_uri=uri, content_type="application/json")


def start_parameters(region: str, model_package_group_name: str, sagemaker_client=None) -> Tuple[dict, List[str]]:
    """The parameters the next execution starts with, and a line for each saying why.

    A check compares its new baseline with the one of the group's latest Approved
    version; SageMaker fails the check when that version has none (no version is
    Approved yet, or it was registered before the checks). Then the check is skipped
    and its new baseline registered, so that the first version of a project gets
    baselines; later executions are checked against the approved ones."""
    client = sagemaker_client or boto3.client("sagemaker", region_name=region)
    latest = client.list_model_packages(
        ModelPackageGroupName=model_package_group_name, ModelApprovalStatus="Approved",
        SortBy="CreationTime", SortOrder="Descending", MaxResults=1,
    )["ModelPackageSummaryList"]
    baselines, version = {}, None
    if latest:
        version = latest[0]["ModelPackageArn"]
        baselines = client.describe_model_package(ModelPackageName=version).get("DriftCheckBaselines") or {}
    parameters, notes = {}, []
    for check in CHECKS:
        if (baselines.get(DRIFT_BASELINE_KEYS[check]) or {}).get("Constraints"):
            continue
        parameters["Skip{}Check".format(check)] = True
        parameters["RegisterNew{}Baseline".format(check)] = True
        notes.append("{}: no baseline to check against ({}): the check is skipped and the new baseline registered".format(
            check, "the latest Approved version, {}, has none".format(version) if version else "no Approved version in " + model_package_group_name))
    return parameters, notes
