"""The seeding custom resource's handler: its AWS calls against moto, its reading of
builds against build records shaped like CodeBuild's BatchGetBuilds answers."""

import datetime

import boto3
import pytest

import handler

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)


def event(request_type, physical_id=None):
    e = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/sagemaker-abalone-p-abalonedemo1-project/1",
        "RequestId": "5e7d5c1a-1111-2222-3333-444455556666",
        "LogicalResourceId": "ModelBuildRepositorySeed",
        "ResourceType": "Custom::SeedRepository",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent",
            "ProjectName": "sagemaker-abalone-p-abalonedemo1-seed-modelbuild",
            "TimeoutSeconds": "900",
            "Repository": "example-org/abalone-modelbuild",
        },
    }
    if physical_id:
        e["PhysicalResourceId"] = physical_id
    return e


@pytest.fixture
def project(aws):
    cb = boto3.client("codebuild")
    name = "sagemaker-abalone-p-abalonedemo1-seed-modelbuild"
    cb.create_project(
        name=name,
        source={"type": "S3", "location": "cdk-assets/seed.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole="arn:aws:iam::123456789012:role/seed",
    )
    yield name
    cb.delete_project(name=name)


def test_create_starts_one_build_and_follows_it(project):
    cb = boto3.client("codebuild")
    response = handler.on_event(event("Create"))
    build_id = response["PhysicalResourceId"]
    assert build_id.startswith(project + ":")
    assert cb.list_builds_for_project(projectName=project)["ids"] == [build_id]
    done = handler.is_complete(event("Create", build_id))
    assert done["IsComplete"] is True, "moto completes builds at once"
    assert done["Data"]["BuildId"] == build_id


def test_update_and_delete_leave_the_repository_alone(project):
    cb = boto3.client("codebuild")
    for request in ("Update", "Delete"):
        response = handler.on_event(event(request, "earlier-build-id"))
        assert response == {"PhysicalResourceId": "earlier-build-id"}
        assert handler.is_complete(event(request, "earlier-build-id")) == {"IsComplete": True}
    assert cb.list_builds_for_project(projectName=project)["ids"] == []


def build(status, phase="BUILD", start_minutes_ago=2, **extra):
    b = {
        "id": "sagemaker-abalone-p-abalonedemo1-seed-modelbuild:0f9e8d7c",
        "buildStatus": status,
        "currentPhase": phase,
        "startTime": NOW - datetime.timedelta(minutes=start_minutes_ago),
        "logs": {"deepLink": "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=/aws/codebuild/seed"},
        "phases": [
            {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED"},
            {"phaseType": "DOWNLOAD_SOURCE", "phaseStatus": "SUCCEEDED", "contexts": [{"statusCode": "", "message": ""}]},
        ],
    }
    b.update(extra)
    return b


def test_a_succeeded_build_returns_the_seeding_results():
    b = build("SUCCEEDED", "COMPLETED", exportedEnvironmentVariables=[
        {"name": "SEED_RESULT", "value": "seeded"}, {"name": "SEED_COMMIT", "value": "3f1c0ffee"}])
    assert handler.interpret(b, NOW, 900, "example-org/abalone-modelbuild") == {
        "IsComplete": True,
        "Data": {"BuildId": b["id"], "Result": "seeded", "Commit": "3f1c0ffee"},
    }


def test_a_running_build_is_not_complete_yet():
    assert handler.interpret(build("IN_PROGRESS"), NOW, 900, "repo") == {"IsComplete": False}


def test_a_failed_build_reports_its_own_reason():
    b = build("FAILED", "COMPLETED")
    b["phases"].append({"phaseType": "BUILD", "phaseStatus": "FAILED", "contexts": [
        {"statusCode": "COMMAND_EXECUTION_ERROR", "message": "Error while executing command: python3 seed_repository.py. Reason: exit status 1"}]})
    with pytest.raises(RuntimeError) as e:
        handler.interpret(b, NOW, 900, "example-org/abalone-modelbuild")
    assert str(e.value) == (
        "seeding example-org/abalone-modelbuild failed: phase BUILD FAILED (COMMAND_EXECUTION_ERROR: Error while executing "
        "command: python3 seed_repository.py. Reason: exit status 1). Logs: " + b["logs"]["deepLink"]
    )


def test_a_source_failure_names_the_phase_and_a_stopped_build_says_so():
    b = build("FAULT", "COMPLETED")
    b["phases"][1] = {"phaseType": "DOWNLOAD_SOURCE", "phaseStatus": "FAULT", "contexts": [
        {"statusCode": "CLIENT_ERROR", "message": "AccessDenied: the role may not read the seed"}]}
    with pytest.raises(RuntimeError, match=r"phase DOWNLOAD_SOURCE FAULT \(CLIENT_ERROR: AccessDenied: the role may not read the seed\)"):
        handler.interpret(b, NOW, 900, "r")
    with pytest.raises(RuntimeError, match=r"build .* ended STOPPED in phase COMPLETED\. Logs: https://"):
        handler.interpret(build("STOPPED", "COMPLETED"), NOW, 900, "r")


def test_past_the_timeout_the_build_is_stopped_and_the_error_says_so():
    stopped = []
    with pytest.raises(TimeoutError) as e:
        handler.interpret(build("IN_PROGRESS", "BUILD", start_minutes_ago=16), NOW, 900, "example-org/abalone-modelbuild",
                          stop=lambda: stopped.append(True))
    assert stopped == [True]
    assert str(e.value).startswith("seeding example-org/abalone-modelbuild timed out after 15 minutes: build "
                                   "sagemaker-abalone-p-abalonedemo1-seed-modelbuild:0f9e8d7c was still in phase BUILD; it was stopped.")
