"""The parameters run-pipeline starts an execution with: the quality checks are skipped,
and their new baselines registered, while the group's latest Approved version has no
baseline to check against (against the moto server)."""

import json
import time

import boto3
import pytest

from pipelines import run_pipeline
from pipelines.abalone import pipeline as abalone

from .conftest import BUCKET, REGION, ROLE

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"
FIRST_RUN = {
    "SkipDataQualityCheck": True, "RegisterNewDataQualityBaseline": True,
    "SkipModelQualityCheck": True, "RegisterNewModelQualityBaseline": True,
}


def baseline(prefix):
    return {
        "Statistics": {"ContentType": "application/json", "S3Uri": "s3://{}/{}/statistics.json".format(BUCKET, prefix)},
        "Constraints": {"ContentType": "application/json", "S3Uri": "s3://{}/{}/constraints.json".format(BUCKET, prefix)},
    }


@pytest.fixture
def group(aws, request):
    sm = boto3.client("sagemaker", region_name=REGION)
    name = "g-" + request.node.name[-40:].replace("_", "-").strip("-")
    sm.create_model_package_group(ModelPackageGroupName=name)
    return name


def register(group, status, drift=None):
    time.sleep(0.01)  # distinct creation times
    args = dict(
        ModelPackageGroupName=group, ModelApprovalStatus=status,
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://{}/model.tar.gz".format(BUCKET)}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )
    if drift:
        args["DriftCheckBaselines"] = drift
    return boto3.client("sagemaker", region_name=REGION).create_model_package(**args)["ModelPackageArn"]


def test_without_an_approved_version_both_checks_are_skipped_and_register_their_baselines(group):
    register(group, "PendingManualApproval", {"ModelDataQuality": baseline("dq"), "ModelQuality": baseline("mq")})
    parameters, notes = abalone.start_parameters(REGION, group)
    assert parameters == FIRST_RUN
    assert notes == [
        "{}: no baseline to check against (no Approved version in {}): the check is skipped and the new baseline registered".format(check, group)
        for check in ("DataQuality", "ModelQuality")
    ]


def test_the_latest_approved_versions_baselines_are_checked_against(group):
    register(group, "Approved")
    register(group, "Approved", {"ModelDataQuality": baseline("dq"), "ModelQuality": baseline("mq")})
    assert abalone.start_parameters(REGION, group) == ({}, [])


def test_a_check_without_a_baseline_in_the_latest_approved_version_is_skipped(group):
    register(group, "Approved", {"ModelDataQuality": baseline("dq"), "ModelQuality": baseline("mq")})
    latest = register(group, "Approved", {"ModelDataQuality": baseline("dq")})
    register(group, "PendingManualApproval", {"ModelDataQuality": baseline("dq"), "ModelQuality": baseline("mq")})
    parameters, notes = abalone.start_parameters(REGION, group)
    assert parameters == {"SkipModelQualityCheck": True, "RegisterNewModelQualityBaseline": True}
    assert notes == ["ModelQuality: no baseline to check against (the latest Approved version, {}, has none): the check is skipped and the new baseline registered".format(latest)]


def test_run_pipeline_starts_the_first_execution_with_the_checks_skipped(group, capsys):
    kwargs = json.dumps({"region": REGION, "role": ROLE, "default_bucket": BUCKET, "pipeline_name": "abalone-first", "model_package_group_name": group})
    assert run_pipeline.main(["--module-name", "pipelines.abalone.pipeline", "--kwargs", kwargs, "--role-arn", ROLE, "--no-wait"]) == 0
    out = capsys.readouterr().out
    assert "DataQuality: no baseline to check against" in out and "ModelQuality: no baseline to check against" in out
    sm = boto3.client("sagemaker", region_name=REGION)
    [execution] = sm.list_pipeline_executions(PipelineName="abalone-first")["PipelineExecutionSummaries"]
    started = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=execution["PipelineExecutionArn"])["PipelineParameters"]
    # As the SDK sends them (str(True)), and as AWS's baseline-lifecycle sample starts them.
    assert {p["Name"]: p["Value"] for p in started} == {k: str(v) for k, v in FIRST_RUN.items()}
