"""The command-line tools."""

import json

import pytest

from pipelines import get_pipeline_definition, run_pipeline
from pipelines._utils import UsageError, parse_json, parse_tags

from .conftest import BUCKET, REGION, ROLE

KWARGS = json.dumps({"region": REGION, "role": ROLE, "default_bucket": BUCKET, "pipeline_name": "abalone-p-abalonedemo1"})


def test_get_pipeline_definition_writes_valid_json(aws, tmp_path):
    out = tmp_path / "pipeline.json"
    code = get_pipeline_definition.main(["--module-name", "pipelines.abalone.pipeline", "--kwargs", KWARGS, "--file-name", str(out)])
    assert code == 0
    definition = json.loads(out.read_text())
    assert definition["Version"] == "2020-12-01"
    assert len(definition["Steps"]) == 4


def test_unknown_kwargs_fail_naming_them(capsys):
    code = get_pipeline_definition.main(["--module-name", "pipelines.abalone.pipeline", "--kwargs", '{"region": "us-east-1", "instance_type": "ml.m5.large"}'])
    assert code == 2
    err = capsys.readouterr().err
    assert "get_pipeline of pipelines.abalone.pipeline takes no argument instance_type: it takes region, role, default_bucket" in err


def test_bad_json_and_missing_arguments_fail_clearly(capsys):
    assert get_pipeline_definition.main(["-n", "pipelines.abalone.pipeline", "-kwargs", "{region: us-east-1}"]) == 2
    assert "--kwargs is not valid JSON" in capsys.readouterr().err
    assert get_pipeline_definition.main(["-n", "pipelines.abalone.pipeline", "-kwargs", "{}"]) == 2
    assert "get_pipeline of pipelines.abalone.pipeline needs region" in capsys.readouterr().err
    assert get_pipeline_definition.main(["-n", "pipelines.nowhere", "-kwargs", "{}"]) == 2
    assert "cannot import the pipeline module 'pipelines.nowhere'" in capsys.readouterr().err


def test_tags_must_be_key_value_objects():
    assert parse_tags('[{"Key": "a", "Value": "b"}]') == [{"Key": "a", "Value": "b"}]
    with pytest.raises(UsageError, match="--tags must be a JSON array of"):
        parse_tags('[{"Name": "a"}]')
    with pytest.raises(UsageError, match="--kwargs must be a JSON object, not list"):
        parse_json("--kwargs", "[1]", dict)


def test_run_pipeline_reports_failed_steps_with_their_reasons():
    steps = [
        {"StepName": "PreprocessAbaloneData", "StepStatus": "Succeeded"},
        {"StepName": "AbaloneMSEAboveThreshold", "StepStatus": "Failed", "FailureReason": "The model's MSE 7.2 is above the MseThreshold of 6.0"},
    ]
    assert run_pipeline.failed_steps(steps) == ["AbaloneMSEAboveThreshold: The model's MSE 7.2 is above the MseThreshold of 6.0"]


def test_run_pipeline_upserts_with_tags_and_starts_an_execution(aws, capsys):
    import boto3

    code = run_pipeline.main([
        "--module-name", "pipelines.abalone.pipeline", "--kwargs", KWARGS, "--role-arn", ROLE,
        "--tags", '[{"Key": "sagemaker:project-id", "Value": "p-abalonedemo1"}]', "--no-wait",
    ])
    assert code == 0
    out = capsys.readouterr().out
    assert "Upserted pipeline arn:aws:sagemaker:us-east-1:123456789012:pipeline/abalone-p-abalonedemo1" in out
    assert "Started execution" in out
    sm = boto3.client("sagemaker", region_name=REGION)
    arn = sm.describe_pipeline(PipelineName="abalone-p-abalonedemo1")["PipelineArn"]
    tags = sm.list_tags(ResourceArn=arn)["Tags"]
    assert {"Key": "sagemaker:project-id", "Value": "p-abalonedemo1"} in tags
    assert len(sm.list_pipeline_executions(PipelineName="abalone-p-abalonedemo1")["PipelineExecutionSummaries"]) == 1
