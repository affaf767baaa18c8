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
"""

from __future__ import annotations

import os
from typing import List, Optional

import boto3
from sagemaker import image_uris
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.model import Model
from sagemaker.model_metrics import MetricsSource, ModelMetrics
from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
from sagemaker.sklearn.processing import SKLearnProcessor
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo
from sagemaker.workflow.fail_step import FailStep
from sagemaker.workflow.functions import Join, JsonGet
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.parameters import (
    ParameterFloat,
    ParameterInteger,
    ParameterString,
)
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_context import PipelineSession
from sagemaker.workflow.properties import PropertyFile
from sagemaker.workflow.steps import CacheConfig, ProcessingStep, TrainingStep

BASE_DIR = os.path.dirname(os.path.realpath(__file__))

# The SageMaker containers the steps run in.
SKLEARN_FRAMEWORK_VERSION = "1.2-1"
XGBOOST_FRAMEWORK_VERSION = "1.7-1"

# The original template's hyperparameters, with the squared-error objective.
HYPERPARAMETERS = {
    "objective": "reg:squarederror",
    "num_round": 50,
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.7,
}

# Names of the steps, as SageMaker Studio shows them.
PREPROCESS_STEP = "PreprocessAbaloneData"
TRAIN_STEP = "TrainAbaloneModel"
EVALUATE_STEP = "EvaluateAbaloneModel"
CONDITION_STEP = "CheckMSEAbaloneEvaluation"
REGISTER_STEP = "RegisterAbaloneModel"
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


def get_pipeline(
    region: str,
    role: Optional[str] = None,
    default_bucket: Optional[str] = None,
    pipeline_name: str = "AbalonePipeline",
    model_package_group_name: str = "AbalonePackageGroup",
    base_job_prefix: str = "Abalone",
    processing_instance_type: str = "ml.m5.xlarge",
    training_instance_type: str = "ml.m5.xlarge",
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
        processing_instance_type: default of the ProcessingInstanceType parameter.
        training_instance_type: default of the TrainingInstanceType parameter.
        kms_key: KMS key that encrypts job outputs and volumes.
        cache_expire_after: ISO 8601 duration after which cached step results expire.
        tags: tags ({"Key": ..., "Value": ...}) of the jobs and the model versions.
    """
    session = get_session(region, default_bucket)
    bucket = session.default_bucket()
    if role is None:
        from sagemaker.session import get_execution_role

        role = get_execution_role(session)

    processing_instance_count = ParameterInteger(name="ProcessingInstanceCount", default_value=1)
    processing_instance = ParameterString(name="ProcessingInstanceType", default_value=processing_instance_type)
    training_instance = ParameterString(name="TrainingInstanceType", default_value=training_instance_type)
    model_approval_status = ParameterString(name="ModelApprovalStatus", default_value="PendingManualApproval")
    input_data = ParameterString(name="InputDataUrl", default_value=default_input_data(region))
    mse_threshold = ParameterFloat(name="MseThreshold", default_value=6.0)
    cache = CacheConfig(enable_caching=True, expire_after=cache_expire_after)

    sklearn_processor = SKLearnProcessor(
        framework_version=SKLEARN_FRAMEWORK_VERSION,
        instance_type=processing_instance,
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
        step_args=sklearn_processor.run(
            outputs=[
                ProcessingOutput(output_name="train", source="/opt/ml/processing/train"),
                ProcessingOutput(output_name="validation", source="/opt/ml/processing/validation"),
                ProcessingOutput(output_name="test", source="/opt/ml/processing/test"),
            ],
            code=os.path.join(BASE_DIR, "preprocess.py"),
            arguments=["--input-data", input_data],
        ),
        cache_config=cache,
    )

    image_uri = image_uris.retrieve(
        framework="xgboost", region=region, version=XGBOOST_FRAMEWORK_VERSION, py_version="py3"
    )
    xgb_train = Estimator(
        image_uri=image_uri,
        instance_type=training_instance,
        instance_count=1,
        output_path="s3://{}/{}/AbaloneTrain".format(bucket, base_job_prefix),
        base_job_name="{}-train".format(base_job_prefix),
        sagemaker_session=session,
        role=role,
        output_kms_key=kms_key,
        volume_kms_key=kms_key,
        tags=tags,
    )
    xgb_train.set_hyperparameters(**HYPERPARAMETERS)
    outputs = step_process.properties.ProcessingOutputConfig.Outputs
    step_train = TrainingStep(
        name=TRAIN_STEP,
        step_args=xgb_train.fit(
            inputs={
                "train": TrainingInput(s3_data=outputs["train"].S3Output.S3Uri, content_type="text/csv"),
                "validation": TrainingInput(s3_data=outputs["validation"].S3Output.S3Uri, content_type="text/csv"),
            }
        ),
        cache_config=cache,
    )

    script_eval = ScriptProcessor(
        image_uri=image_uri,
        command=["python3"],
        instance_type=processing_instance,
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
        step_args=script_eval.run(
            inputs=[
                ProcessingInput(source=step_train.properties.ModelArtifacts.S3ModelArtifacts, destination="/opt/ml/processing/model"),
                ProcessingInput(source=outputs["test"].S3Output.S3Uri, destination="/opt/ml/processing/test"),
            ],
            outputs=[ProcessingOutput(output_name="evaluation", source="/opt/ml/processing/evaluation")],
            code=os.path.join(BASE_DIR, "evaluate.py"),
        ),
        property_files=[evaluation_report],
        cache_config=cache,
    )

    evaluation_uri = step_eval.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri
    model = Model(
        image_uri=image_uri,
        model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts,
        sagemaker_session=session,
        role=role,
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
            processing_instance,
            training_instance,
            model_approval_status,
            input_data,
            mse_threshold,
        ],
        steps=[step_process, step_train, step_eval, step_cond],
        sagemaker_session=session,
    )
