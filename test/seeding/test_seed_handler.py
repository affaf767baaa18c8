"""The seeding custom resource's handler: its AWS calls against a moto server, and its
reading of builds shaped like CodeBuild's BatchGetBuilds answers."""

from __future__ import annotations

import datetime
import time

import boto3
import pytest

import handler

PROJECT = "sagemaker-abalone-p-abalonedemo1-seed-modelbuild"
REPOSITORY = "example-org/abalone-modelbuild"
NOW = datetime.datetime(2026, 11, 24, 12, 0, 0, tzinfo=datetime.timezone.utc)
BUILD_ID = PROJECT + ":2f7c9d1e-5b3a-4c8e-9f1a-0b2c3d4e5f60"
LOGS = {
    "groupName": "/aws/codebuild/" + PROJECT,
    "streamName": "2f7c9d1e-5b3a-4c8e-9f1a-0b2c3d4e5f60",
    "deepLink": "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=/aws/codebuild/{};"
                "stream=2f7c9d1e-5b3a-4c8e-9f1a-0b2c3d4e5f60".format(PROJECT),
    "cloudWatchLogsArn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/{}:log-stream:"
                         "2f7c9d1e-5b3a-4c8e-9f1a-0b2c3d4e5f60".format(PROJECT),
    "cloudWatchLogs": {"status": "ENABLED"},
    "s3Logs": {"status": "DISABLED", "encryptionDisabled": False},
}
SEED_COMMAND = ('python3 "$CODEBUILD_SRC_DIR_seeder/seed_repository.py" --remote "$REMOTE_URL" --branch "$BRANCH" '
                '--seed-dir "$CODEBUILD_SRC_DIR" --seed-name "$SEED_NAME" --result-file /tmp/seed-result')


def event(request_type, physical_id=None, **properties):
    """A CloudFormation request as the provider framework hands it to the handlers."""
    e = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:Project-SeedProviderframeworkonEvent-Ab12Cd34",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws%3A?X-Amz-Signature=abc",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/sagemaker-abalone-p-abalonedemo1/5e7d5c1a-1111-2222",
        "RequestId": "9b1f2e3d-4c5b-6a79-8e7d-6c5b4a392817",
        "LogicalResourceId": "ModelBuildSeedResource1A2B3C4D",
        "ResourceType": "Custom::SeedRepository",
        "ResourceProperties": dict({
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:Project-SeedProviderframeworkonEvent-Ab12Cd34",
            "ProjectName": PROJECT,
            "TimeoutSeconds": "900",
            "Repository": REPOSITORY,
        }, **properties),
    }
    if physical_id:
        e["PhysicalResourceId"] = physical_id
    if request_type == "Update":
        e["OldResourceProperties"] = dict(e["ResourceProperties"], TimeoutSeconds="600")
    return e


@pytest.fixture
def codebuild(aws):
    """The seeding CodeBuild project, in moto; a CodeBuild client."""
    client = boto3.client("codebuild")
    client.create_project(
        name=PROJECT,
        source={"type": "S3", "location": "cdk-hnb659fds-assets-123456789012-us-east-1/seed.zip"},
        secondarySources=[{"type": "S3", "location": "cdk-hnb659fds-assets-123456789012-us-east-1/seeder.zip",
                           "sourceIdentifier": "seeder"}],
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole="arn:aws:iam::123456789012:role/seed",
    )
    return client


def test_create_starts_one_build_and_completes_when_moto_says_it_succeeded(codebuild):
    started = handler.on_event(event("Create"))

    build_id = started["PhysicalResourceId"]
    assert build_id.startswith(PROJECT + ":")
    assert codebuild.list_builds_for_project(projectName=PROJECT)["ids"] == [build_id]
    # moto answers the first BatchGetBuilds of a build with SUCCEEDED and no exported variables.
    assert handler.is_complete(event("Create", build_id)) == {
        "IsComplete": True,
        "Data": {"BuildId": build_id, "Result": "", "Commit": "", "Added": "", "Kept": ""},
    }


def test_update_and_delete_start_no_build(codebuild):
    build_id = handler.on_event(event("Create"))["PhysicalResourceId"]

    for request in ("Update", "Delete"):
        assert handler.on_event(event(request, build_id)) == {"PhysicalResourceId": build_id}
    assert handler.is_complete(event("Delete", build_id)) == {"IsComplete": True}
    assert handler.is_complete(event("Update", build_id)) == {
        "IsComplete": True,
        "Data": {"BuildId": build_id, "Result": "", "Commit": "", "Added": "", "Kept": ""},
    }
    assert codebuild.list_builds_for_project(projectName=PROJECT)["ids"] == [build_id]


def test_an_update_whose_build_is_gone_still_answers_every_data_key(codebuild):
    gone = PROJECT + ":00000000-0000-0000-0000-000000000000"
    assert handler.is_complete(event("Update", gone)) == {
        "IsComplete": True,
        "Data": {"BuildId": gone, "Result": "", "Commit": "", "Added": "", "Kept": ""},
    }
    assert codebuild.list_builds_for_project(projectName=PROJECT)["ids"] == []


def test_a_create_with_a_bad_timeout_fails_before_starting_a_build(codebuild):
    with pytest.raises(handler.SeedingFailed) as e:
        handler.on_event(event("Create", TimeoutSeconds="15m"))
    assert str(e.value) == "TimeoutSeconds must be a positive whole number of seconds, not '15m'"
    assert codebuild.list_builds_for_project(projectName=PROJECT)["ids"] == []


def test_a_create_for_a_missing_project_fails_with_codebuilds_error(codebuild):
    with pytest.raises(codebuild.exceptions.ResourceNotFoundException):
        handler.on_event(event("Create", ProjectName="sagemaker-abalone-p-abalonedemo1-seed-nothing"))


def test_stopping_an_overdue_build_in_moto(codebuild):
    build_id = codebuild.start_build(projectName=PROJECT)["build"]["id"]
    assert handler.stop_build(codebuild, build_id) == "it was stopped"
    assert handler.stop_build(codebuild, PROJECT + ":gone").startswith(
        "stopping it failed: An error occurred (ResourceNotFoundException) when calling the StopBuild operation: ")


def test_the_scripts_own_failure_line_is_read_from_the_builds_log(aws):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=LOGS["groupName"])
    logs.create_log_stream(logGroupName=LOGS["groupName"], logStreamName=LOGS["streamName"])
    lines = [
        "[Container] 2026/11/24 11:59:01.100 Running command " + SEED_COMMAND + "\n",
        "seeding failed: branch main does not exist in https://codestar-connections.us-east-1.amazonaws.com/git-http/"
        "123456789012/us-east-1/0c9a8b7d/example-org/abalone-modelbuild.git; its branches: master\n",
        "\n",
        "[Container] 2026/11/24 11:59:02.300 Command did not exit successfully " + SEED_COMMAND + " exit status 1\n",
        "[Container] 2026/11/24 11:59:02.310 Phase complete: BUILD State: FAILED\n",
    ]
    # A minute ago: CloudWatch Logs (and moto) refuse events older than 14 days.
    start = int(time.time() * 1000) - 60000
    logs.put_log_events(logGroupName=LOGS["groupName"], logStreamName=LOGS["streamName"], logEvents=[
        {"timestamp": start + i, "message": line} for i, line in enumerate(lines)])
    build = {"id": BUILD_ID, "logs": LOGS}

    messages = handler.log_messages(logs, build)

    assert messages == lines
    assert handler.seeding_cause(messages) == (
        "branch main does not exist in https://codestar-connections.us-east-1.amazonaws.com/git-http/123456789012/"
        "us-east-1/0c9a8b7d/example-org/abalone-modelbuild.git; its branches: master")


def test_a_log_that_cannot_be_read_gives_no_lines(aws):
    logs = boto3.client("logs")
    assert handler.log_messages(logs, {"id": BUILD_ID, "logs": LOGS}) == []
    assert handler.log_messages(logs, {"id": BUILD_ID, "logs": {"cloudWatchLogs": {"status": "DISABLED"}}}) == []


# Builds shaped like BatchGetBuilds' answers (botocore's codebuild model: Build,
# BuildPhase, PhaseContext, LogsLocation, ExportedEnvironmentVariable).

def phase(kind, status="SUCCEEDED", code="", message="", minutes_ago=2):
    start = NOW - datetime.timedelta(minutes=minutes_ago)
    p = {"phaseType": kind, "phaseStatus": status, "startTime": start, "endTime": start + datetime.timedelta(seconds=5),
         "durationInSeconds": 5}
    if kind not in ("SUBMITTED", "QUEUED"):
        p["contexts"] = [{"statusCode": code, "message": message}]
    return p


def build(status, current, phases, minutes_ago=3, exported=None):
    b = {
        "id": BUILD_ID,
        "arn": "arn:aws:codebuild:us-east-1:123456789012:build/" + BUILD_ID,
        "buildNumber": 1,
        "startTime": NOW - datetime.timedelta(minutes=minutes_ago),
        "currentPhase": current,
        "buildStatus": status,
        "projectName": PROJECT,
        "phases": phases,
        "logs": LOGS,
        "timeoutInMinutes": 20,
        "queuedTimeoutInMinutes": 480,
        "buildComplete": status != "IN_PROGRESS",
        "initiator": "Project-SeedHandlerRole/Project-SeedOnEvent",
        "encryptionKey": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }
    if exported is not None:
        b["exportedEnvironmentVariables"] = [{"name": k, "value": v} for k, v in exported.items()]
    if status != "IN_PROGRESS":
        b["endTime"] = NOW - datetime.timedelta(minutes=1)
    return b


def done(*kinds):
    return [phase(k) for k in ("SUBMITTED", "QUEUED", "PROVISIONING") + kinds]


def test_a_succeeded_build_completes_with_the_exported_results():
    b = build("SUCCEEDED", "COMPLETED", done("DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD",
                                             "UPLOAD_ARTIFACTS", "FINALIZING") + [{"phaseType": "COMPLETED", "startTime": NOW}],
              exported={"SEED_RESULT": "seeded", "SEED_COMMIT": "3f1c0ffee3f1c0ffee3f1c0ffee3f1c0ffee3f1c",
                        "SEED_ADDED": "23", "SEED_KEPT": "1"})

    assert handler.build_state(b, NOW, 900) == handler.SUCCEEDED
    assert handler.completion_data(b) == {"BuildId": BUILD_ID, "Result": "seeded",
                                          "Commit": "3f1c0ffee3f1c0ffee3f1c0ffee3f1c0ffee3f1c", "Added": "23", "Kept": "1"}


def test_a_running_build_within_its_time_is_not_complete():
    b = build("IN_PROGRESS", "BUILD", done("DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD") + [{"phaseType": "BUILD", "startTime": NOW}])
    assert handler.build_state(b, NOW, 900) == handler.RUNNING
    assert handler.build_state(b, NOW, 180) == handler.RUNNING, "exactly at the bound is still in time"


def test_a_failed_seeding_reports_the_scripts_cause_the_phase_and_the_logs():
    b = build("FAILED", "COMPLETED", done("DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD") + [
        phase("BUILD", "FAILED", "COMMAND_EXECUTION_ERROR",
              "Error while executing command: " + SEED_COMMAND + ". Reason: exit status 1"),
        phase("POST_BUILD"), phase("UPLOAD_ARTIFACTS"), phase("FINALIZING"), {"phaseType": "COMPLETED", "startTime": NOW},
    ], exported={"SEED_RESULT": "", "SEED_COMMIT": "", "SEED_ADDED": "", "SEED_KEPT": ""})
    cause = "the push to branch main of https://example.com/r.git was rejected: [remote rejected] (protected branch hook declined)"

    assert handler.build_state(b, NOW, 900) == handler.FAILED
    assert handler.failure_message(b, REPOSITORY, cause) == (
        "Seeding example-org/abalone-modelbuild failed: " + cause + ". Build " + BUILD_ID + " ended FAILED: phase BUILD "
        "FAILED (COMMAND_EXECUTION_ERROR: Error while executing command: " + SEED_COMMAND + ". Reason: exit status 1). "
        "Logs: " + LOGS["deepLink"])


def test_a_source_download_fault_names_the_phase_with_codebuilds_reason():
    b = build("FAULT", "COMPLETED", done() + [
        phase("DOWNLOAD_SOURCE", "FAULT", "CLIENT_ERROR",
              "AccessDenied: Access Denied for primary source and source version cdk-assets/seed.zip"),
        phase("FINALIZING"), {"phaseType": "COMPLETED", "startTime": NOW},
    ])

    assert handler.build_state(b, NOW, 900) == handler.FAILED
    assert handler.failure_message(b, REPOSITORY, None) == (
        "Seeding example-org/abalone-modelbuild failed. Build " + BUILD_ID + " ended FAULT: phase DOWNLOAD_SOURCE FAULT "
        "(CLIENT_ERROR: AccessDenied: Access Denied for primary source and source version cdk-assets/seed.zip). "
        "Logs: " + LOGS["deepLink"])


def test_stopped_and_timed_out_builds_fail_saying_so():
    stopped = build("STOPPED", "COMPLETED", done("DOWNLOAD_SOURCE") + [phase("INSTALL", "STOPPED")])
    timed_out = build("TIMED_OUT", "COMPLETED", done("DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD") + [
        phase("BUILD", "TIMED_OUT", "BUILD_TIMED_OUT", "Build has timed out. ")])
    without_phase = build("STOPPED", "COMPLETED", done("DOWNLOAD_SOURCE"))
    without_phase["logs"] = {"cloudWatchLogs": {"status": "DISABLED"}}

    assert [handler.build_state(b, NOW, 900) for b in (stopped, timed_out)] == [handler.FAILED] * 2
    assert handler.failure_message(stopped, REPOSITORY, None).endswith(
        "ended STOPPED: phase INSTALL STOPPED. Logs: " + LOGS["deepLink"])
    assert handler.failure_message(timed_out, REPOSITORY, None).endswith(
        "ended TIMED_OUT: phase BUILD TIMED_OUT (BUILD_TIMED_OUT: Build has timed out. ). Logs: " + LOGS["deepLink"])
    assert handler.failure_message(without_phase, REPOSITORY, None) == (
        "Seeding example-org/abalone-modelbuild failed. Build {0} ended STOPPED: in phase COMPLETED. "
        "Logs: none (see build {0} in the CodeBuild console)".format(BUILD_ID))


def test_past_its_timeout_a_running_build_is_overdue_and_the_message_says_so():
    b = build("IN_PROGRESS", "BUILD", done("DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD") + [{"phaseType": "BUILD", "startTime": NOW}],
              minutes_ago=16)

    assert handler.build_state(b, NOW, 900) == handler.OVERDUE
    assert handler.timeout_message(b, REPOSITORY, 900, "it was stopped") == (
        "Seeding example-org/abalone-modelbuild timed out after 15 minutes: build " + BUILD_ID + " was still in phase "
        "BUILD; it was stopped. Logs: " + LOGS["deepLink"])
    assert handler.timeout_message(b, REPOSITORY, 90, "stopping it failed: AccessDenied").startswith(
        "Seeding example-org/abalone-modelbuild timed out after 1.5 minutes: ")
    assert handler.minutes(60) == "1 minute"


def test_the_cause_is_the_last_failure_line_and_long_texts_are_cut():
    assert handler.seeding_cause(["Running command x\n", "seeding failed: first\n", "seeding failed: second\n", "done\n"]) == "second"
    assert handler.seeding_cause(["[Container] Phase complete: BUILD State: FAILED\n"]) is None
    long_cause = handler.seeding_cause(["seeding failed: " + "x" * 2000])
    assert len(long_cause) == handler.CAUSE_LIMIT and long_cause.endswith("\u2026")
    b = build("FAILED", "COMPLETED", done() + [phase("BUILD", "FAILED", "COMMAND_EXECUTION_ERROR", "y" * 2000)])
    assert "(COMMAND_EXECUTION_ERROR: " + "y" * (handler.CONTEXT_LIMIT - len("COMMAND_EXECUTION_ERROR: ") - 1) + "\u2026)" \
        in handler.failure_message(b, REPOSITORY, None)


@pytest.mark.parametrize("value, seconds", [("900", 900), (600, 600), (None, 900)])
def test_the_timeout_property_is_read_as_seconds(value, seconds):
    props = {} if value is None else {"TimeoutSeconds": value}
    assert handler.timeout_seconds(props) == seconds


@pytest.mark.parametrize("value", ["0", "-5", "", "15.5"])
def test_a_timeout_property_that_is_not_a_positive_integer_fails(value):
    with pytest.raises(handler.SeedingFailed, match="TimeoutSeconds must be a positive whole number of seconds"):
        handler.timeout_seconds({"TimeoutSeconds": value})
