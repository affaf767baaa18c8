"""The abalone SageMaker pipeline.

Preprocess (scikit-learn processing) -> Train (built-in XGBoost, squared-error
regression) -> Evaluate (writes evaluation.json) -> if the test MSE is at most the
MseThreshold parameter, Register the model in the project's model package group (with
its metrics), else Fail with a message giving the MSE and the threshold.

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
from typing import List, Optional

import boto3
from sagemaker.core import image_uris
from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output, Tag
from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig, StoppingCondition
from sagemaker.core.workflow.conditions import ConditionLessThanOrEqualTo
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.steps import CacheConfig, ProcessingStep, TrainingStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train.model_trainer import ModelTrainer

from pipelines._utils import project_role_checks_off
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

# Names of the steps, as SageMaker Studio shows them. The registration step keeps the
# name SDK v2 gave it (the ModelStep's name plus "-RegisterModel").
PREPROCESS_STEP = "PreprocessAbaloneData"
TRAIN_STEP = "TrainAbaloneModel"
EVALUATE_STEP = "EvaluateAbaloneModel"
CONDITION_STEP = "CheckMSEAbaloneEvaluation"
REGISTER_STEP = "RegisterAbaloneModel-RegisterModel"
FAIL_STEP = "AbaloneMSEAboveThreshold"


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
        tags=tags,
    )
    step_process = ProcessingStep(
        name=PREPROCESS_STEP,
        step_args=preprocessor.run(
            outputs=[processing_output("train"), processing_output("validation"), processing_output("test")],
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
            outputs=[processing_output("evaluation")],
            code=os.path.join(BASE_DIR, "evaluate.py"),
        ),
        property_files=[evaluation_report],
        cache_config=cache,
    )

    evaluation_uri = step_eval.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri
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
                model_statistics=MetricsSource(
                    s3_uri=Join(on="/", values=[evaluation_uri, "evaluation.json"]),
                    content_type="application/json",
                )
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
        ],
        steps=[step_process, step_train, step_eval, step_cond],
        sagemaker_session=session,
    )
