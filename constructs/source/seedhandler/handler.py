"""Custom resource that seeds an existing Git repository when the stack is created.

Used through the CDK provider framework (``custom_resources.Provider``) in its
asynchronous form: ``on_event`` is the onEvent handler and ``is_complete`` the
isComplete handler, which the framework calls about every 30 seconds until it answers
``IsComplete: True`` or raises.

* Create: ``on_event`` starts a build of the seeding CodeBuild project (which runs
  seed_repository.py) and returns its build id as the physical resource id.
  ``is_complete`` reads the build: not complete while it runs; complete with the
  seeding's results when it succeeded; when it failed, it raises with the actual
  cause: the ``seeding failed:`` line of seed_repository.py read from the build's log
  (when the log can be read), the failed phases with CodeBuild's status codes and
  messages, and the link to the build's logs. Past ``TimeoutSeconds`` from the build's
  start it stops the build and raises saying that the seeding timed out, with the
  build id and the phase it was in.
* Update and Delete: the repository is left alone. No build is started and the
  physical id is kept; an Update answers the same Data keys as the Create did (read
  back from the original build when it can be), so ``Fn::GetAtt`` on them never fails.

Resource properties (CloudFormation passes every value as a string):
``ProjectName`` (required) the seeding CodeBuild project; ``TimeoutSeconds`` (default
900) the bound on the seeding, from the build's start; ``Repository`` (default: the
project name) how messages name the repository, e.g. ``owner/repo``.

Data: ``BuildId``, and ``Result``, ``Commit``, ``Added``, ``Kept`` from the build's
exported variables SEED_RESULT, SEED_COMMIT, SEED_ADDED and SEED_KEPT ("" when not
exported). AWS calls: codebuild:StartBuild, codebuild:BatchGetBuilds,
codebuild:StopBuild, and logs:GetLogEvents on the build's log stream (optional: without
it the message lacks only the script's own line). boto3 from the Lambda runtime only.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, List, Optional

import boto3
from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_TIMEOUT_SECONDS = 900
FAILED_STATUSES = ("FAILED", "FAULT", "STOPPED", "TIMED_OUT")
RUNNING, SUCCEEDED, FAILED, OVERDUE = "running", "succeeded", "failed", "overdue"
# The variables seed_repository.py exports through the buildspec, by Data key.
EXPORTED = {"Result": "SEED_RESULT", "Commit": "SEED_COMMIT", "Added": "SEED_ADDED", "Kept": "SEED_KEPT"}
# seed_repository.py's one-line failure report on standard error starts with this.
CAUSE_MARKER = "seeding failed: "
LOG_LINES_READ = 100
CONTEXT_LIMIT = 300
CAUSE_LIMIT = 600


class SeedingFailed(Exception):
    """The seeding did not succeed; the message is what CloudFormation shows."""


def on_event(event: Dict[str, Any], context: Any = None) -> Dict[str, Any]:
    """The provider framework's onEvent handler: starts the seeding build on Create."""
    log_event("on_event", event)
    if event["RequestType"] != "Create":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    props = event["ResourceProperties"]
    timeout_seconds(props)
    project = required(props, "ProjectName")
    build = codebuild_client().start_build(projectName=project)["build"]
    print("started seeding build {} ({}, phase {})".format(build["id"], build.get("buildStatus"), build.get("currentPhase")))
    return {"PhysicalResourceId": build["id"]}


def is_complete(event: Dict[str, Any], context: Any = None) -> Dict[str, Any]:
    """The provider framework's isComplete handler: follows the seeding build."""
    log_event("is_complete", event)
    request = event["RequestType"]
    if request == "Delete":
        return {"IsComplete": True}
    build_id = event["PhysicalResourceId"]
    client = codebuild_client()
    if request == "Update":
        return {"IsComplete": True, "Data": earlier_data(client, build_id)}
    props = event["ResourceProperties"]
    timeout = timeout_seconds(props)
    repository = props.get("Repository") or required(props, "ProjectName")
    builds = client.batch_get_builds(ids=[build_id])["builds"]
    if not builds:
        raise SeedingFailed("Seeding {} failed: its build {} no longer exists".format(repository, build_id))
    build = builds[0]
    state = build_state(build, datetime.datetime.now(datetime.timezone.utc), timeout)
    print("seeding build {}: {} ({}, phase {})".format(build_id, state, build.get("buildStatus"), build.get("currentPhase")))
    if state == SUCCEEDED:
        return {"IsComplete": True, "Data": completion_data(build)}
    if state == FAILED:
        raise SeedingFailed(failure_message(build, repository, seeding_cause(log_messages(logs_client(), build))))
    if state == OVERDUE:
        raise SeedingFailed(timeout_message(build, repository, timeout, stop_build(client, build_id)))
    return {"IsComplete": False}


def codebuild_client():
    """A CodeBuild client for the function's region (and AWS_ENDPOINT_URL, if set)."""
    return boto3.client("codebuild")


def logs_client():
    """A CloudWatch Logs client for the function's region."""
    return boto3.client("logs")


def log_event(name: str, event: Dict[str, Any]) -> None:
    """Logs the event without its presigned response URL."""
    print("{}: {}".format(name, json.dumps(dict(event, ResponseURL="..."), default=str)))


def required(props: Dict[str, Any], name: str) -> str:
    """A resource property that must be set."""
    value = props.get(name)
    if not value:
        raise SeedingFailed("the seeding custom resource needs the property {}".format(name))
    return str(value)


def timeout_seconds(props: Dict[str, Any]) -> int:
    """The TimeoutSeconds property as a positive number of seconds (CloudFormation
    passes numbers as strings)."""
    raw = props.get("TimeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
    try:
        seconds = int(str(raw))
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise SeedingFailed("TimeoutSeconds must be a positive whole number of seconds, not {!r}".format(raw))
    return seconds


def build_state(build: Dict[str, Any], now: datetime.datetime, timeout: int) -> str:
    """Where a BatchGetBuilds build stands: SUCCEEDED, FAILED (failed, faulted, stopped
    or timed out in CodeBuild), OVERDUE (still running past timeout seconds after its
    start) or RUNNING."""
    status = build.get("buildStatus")
    if status == "SUCCEEDED":
        return SUCCEEDED
    if status in FAILED_STATUSES:
        return FAILED
    if (now - build["startTime"]).total_seconds() > timeout:
        return OVERDUE
    return RUNNING


def exported_variables(build: Dict[str, Any]) -> Dict[str, str]:
    """The build's exported environment variables, by name."""
    return {v["name"]: v.get("value", "") for v in build.get("exportedEnvironmentVariables", [])}


def completion_data(build: Dict[str, Any]) -> Dict[str, str]:
    """The custom resource's Data for a build: its id and the seeding's results."""
    exported = exported_variables(build)
    data = {"BuildId": build["id"]}
    data.update({key: exported.get(name, "") for key, name in EXPORTED.items()})
    return data


def earlier_data(client, build_id: str) -> Dict[str, str]:
    """The Data of the Create, read back from its build; the build id alone (other keys
    "") when that build cannot be read any more."""
    try:
        builds = client.batch_get_builds(ids=[build_id])["builds"]
    except (ClientError, BotoCoreError) as e:
        print("cannot read the seeding build {}: {}".format(build_id, e))
        builds = []
    return completion_data(builds[0] if builds else {"id": build_id})


def log_messages(client, build: Dict[str, Any]) -> List[str]:
    """The last lines of the build's CloudWatch log; none when it has no log or the log
    cannot be read (the failure message then goes without the script's line)."""
    where = build.get("logs", {})
    if not where.get("groupName") or not where.get("streamName"):
        return []
    try:
        events = client.get_log_events(
            logGroupName=where["groupName"], logStreamName=where["streamName"], startFromHead=False, limit=LOG_LINES_READ
        )["events"]
    except (ClientError, BotoCoreError) as e:
        print("cannot read the seeding build's log: {}".format(e))
        return []
    return [e["message"] for e in events]


def seeding_cause(messages: List[str]) -> Optional[str]:
    """The cause seed_repository.py reported (its last ``seeding failed:`` line), if any."""
    for message in reversed(messages):
        _, marker, cause = message.partition(CAUSE_MARKER)
        if marker and cause.strip():
            return shorten(cause.strip(), CAUSE_LIMIT)
    return None


def failed_phases(build: Dict[str, Any]) -> List[str]:
    """Each phase that did not succeed, with its status codes and messages, e.g.
    ``phase BUILD FAILED (COMMAND_EXECUTION_ERROR: Error while executing command: ...)``."""
    out = []
    for phase in build.get("phases", []):
        if phase.get("phaseStatus") not in FAILED_STATUSES:
            continue
        contexts = []
        for c in phase.get("contexts", []):
            text = ": ".join(part for part in (c.get("statusCode"), c.get("message")) if part)
            if text:
                contexts.append(shorten(text, CONTEXT_LIMIT))
        described = "phase {} {}".format(phase.get("phaseType"), phase.get("phaseStatus"))
        out.append(described + (" ({})".format("; ".join(contexts)) if contexts else ""))
    return out


def failure_message(build: Dict[str, Any], repository: str, cause: Optional[str]) -> str:
    """Why a finished build did not seed the repository, for the CloudFormation event."""
    head = "Seeding {} failed: {}.".format(repository, cause) if cause else "Seeding {} failed.".format(repository)
    phases = failed_phases(build) or ["in phase {}".format(build.get("currentPhase", "UNKNOWN"))]
    return "{} Build {} ended {}: {}. Logs: {}".format(
        head, build.get("id"), build.get("buildStatus"), "; ".join(phases), logs_link(build)
    )


def timeout_message(build: Dict[str, Any], repository: str, timeout: int, stopped: str) -> str:
    """Says that the seeding timed out, with the build, its phase and the stop's outcome."""
    return "Seeding {} timed out after {}: build {} was still in phase {}; {}. Logs: {}".format(
        repository, minutes(timeout), build.get("id"), build.get("currentPhase", "UNKNOWN"), stopped, logs_link(build)
    )


def stop_build(client, build_id: str) -> str:
    """Stops the build and says how that went, for the timeout message."""
    try:
        client.stop_build(id=build_id)
    except (ClientError, BotoCoreError) as e:
        return "stopping it failed: {}".format(e)
    return "it was stopped"


def minutes(seconds: int) -> str:
    """A duration in minutes, e.g. 900 -> "15 minutes", 60 -> "1 minute", 90 -> "1.5 minutes"."""
    value = seconds / 60
    return "1 minute" if value == 1 else "{:g} minutes".format(value)


def logs_link(build: Dict[str, Any]) -> str:
    """The link to the build's CloudWatch logs, or where to find them without one."""
    return build.get("logs", {}).get("deepLink") or "none (see build {} in the CodeBuild console)".format(build.get("id"))


def shorten(text: str, limit: int) -> str:
    """Text cut to limit characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
