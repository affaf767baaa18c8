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
    assert len(definition["Steps"]) == 6


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


def test_run_pipeline_waits_for_the_execution_in_the_emulator(aws, capsys):
    code = run_pipeline.main(["--module-name", "pipelines.abalone.pipeline", "--kwargs", KWARGS, "--role-arn", ROLE])
    assert code == 0, capsys.readouterr().err
    assert "succeeded" in capsys.readouterr().out


class FakeExecution:
    """An execution that answers DescribePipelineExecution with the given statuses in turn."""

    arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/abalone-p-abalonedemo1/execution/x1"

    def __init__(self, *statuses, reason=None, steps=()):
        self.statuses = list(statuses)
        self.reason = reason
        self.steps = list(steps)

    def describe(self):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        described = {"PipelineExecutionStatus": status}
        if self.reason:
            described["FailureReason"] = self.reason
        return described

    def list_steps(self):
        return self.steps


class Clock:
    """A clock that sleeping advances."""

    def __init__(self):
        self.now, self.sleeps = 0.0, 0

    def sleep(self, seconds):
        self.now += seconds
        self.sleeps += 1


def wait(execution, minutes=60):
    clock = Clock()
    return run_pipeline.wait_for(execution, minutes * 60, clock=lambda: clock.now, sleep=clock.sleep), clock


def test_run_pipeline_fails_on_a_failed_execution_naming_the_step(capsys):
    steps = [
        {"StepName": "PreprocessAbaloneData", "StepStatus": "Succeeded"},
        {"StepName": "TrainAbaloneModel", "StepStatus": "Failed", "FailureReason": "ClientError: ResourceLimitExceeded"},
    ]
    code, clock = wait(FakeExecution("Executing", "Executing", "Failed", reason="Step failure: One or multiple steps failed.", steps=steps))
    assert code == 1
    assert clock.sleeps == 2
    err = capsys.readouterr().err
    assert "x1 failed: Step failure: One or multiple steps failed." in err
    assert "Failed step TrainAbaloneModel: ClientError: ResourceLimitExceeded" in err


def test_run_pipeline_fails_on_a_stopped_execution_instead_of_waiting_on(capsys):
    code, clock = wait(FakeExecution("Executing", "Stopping", "Stopped"))
    assert code == 1
    assert clock.sleeps == 2
    assert "x1 stopped" in capsys.readouterr().err


def test_run_pipeline_stops_waiting_at_its_limit_and_says_so(capsys):
    code, clock = wait(FakeExecution("Executing"), minutes=2)
    assert code == 1
    assert clock.now == 120
    assert "x1 is still Executing after 2 minutes; it goes on in SageMaker" in capsys.readouterr().err


def test_run_pipeline_succeeds_when_the_execution_does(capsys):
    code, _ = wait(FakeExecution("Executing", "Succeeded"))
    assert code == 0
    assert "x1 succeeded" in capsys.readouterr().out


def test_run_pipeline_rejects_a_wait_that_is_not_positive(capsys):
    assert run_pipeline.main(["-n", "pipelines.abalone.pipeline", "-kwargs", KWARGS, "-role-arn", ROLE, "--wait-minutes", "0"]) == 2
    assert "--wait-minutes must be positive, not 0" in capsys.readouterr().err
