"""Custom resource that seeds a Git repository on stack creation.

The CDK provider framework calls ``on_event`` once, then ``is_complete`` until it
returns ``IsComplete``. On Create, ``on_event`` starts the seeding CodeBuild project;
``is_complete`` follows the build and either returns the seeding's results or raises
with the build's own failure reason (the failed phase, its status codes and messages,
and the link to the build's logs), which CloudFormation shows in the stack's events.
The seeding has a bounded time (the TimeoutSeconds property, from the build's start):
past it, the build is stopped and the error says so. Update and Delete leave the
repository alone.

Resource properties (CloudFormation passes them as strings): ProjectName, the
CodeBuild project; TimeoutSeconds; Repository, the repository's name for messages.
boto3 from the Lambda runtime (Python 3.14) only.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Dict, Optional

import boto3

FAILED = ("FAILED", "FAULT", "STOPPED", "TIMED_OUT")
DEFAULT_TIMEOUT_SECONDS = 900


def codebuild():
    """The CodeBuild client (a function, so that tests can point it elsewhere)."""
    return boto3.client("codebuild")


def on_event(event: Dict[str, Any], context: Any = None) -> Dict[str, Any]:
    """Starts the seeding build on Create; does nothing on Update and Delete."""
    props = event["ResourceProperties"]
    if event["RequestType"] != "Create":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    build = codebuild().start_build(projectName=props["ProjectName"])["build"]
    print("started seeding build {} for {}".format(build["id"], props.get("Repository", "the repository")))
    return {"PhysicalResourceId": build["id"], "Data": {"BuildId": build["id"]}}


def is_complete(event: Dict[str, Any], context: Any = None) -> Dict[str, Any]:
    """Follows the seeding build; see interpret."""
    if event["RequestType"] != "Create":
        return {"IsComplete": True}
    props = event["ResourceProperties"]
    build_id = event["PhysicalResourceId"]
    client = codebuild()
    build = client.batch_get_builds(ids=[build_id])["builds"][0]
    return interpret(
        build,
        now=datetime.datetime.now(datetime.timezone.utc),
        timeout_seconds=int(props.get("TimeoutSeconds", DEFAULT_TIMEOUT_SECONDS)),
        repository=props.get("Repository", "the repository"),
        stop=lambda: client.stop_build(id=build_id),
    )


def interpret(
    build: Dict[str, Any],
    now: datetime.datetime,
    timeout_seconds: int,
    repository: str,
    stop: Optional[Callable[[], Any]] = None,
) -> Dict[str, Any]:
    """Turns a BatchGetBuilds build into the framework's answer: not complete yet,
    complete with the results, or an exception whose message is the reason."""
    status = build.get("buildStatus")
    if status == "SUCCEEDED":
        exported = {v["name"]: v.get("value", "") for v in build.get("exportedEnvironmentVariables", [])}
        return {
            "IsComplete": True,
            "Data": {
                "BuildId": build["id"],
                "Result": exported.get("SEED_RESULT", ""),
                "Commit": exported.get("SEED_COMMIT", ""),
            },
        }
    if status in FAILED:
        raise RuntimeError("seeding {} failed: {}".format(repository, failure_reason(build)))
    elapsed = (now - build["startTime"]).total_seconds()
    if elapsed > timeout_seconds:
        if stop is not None:
            stop()
        raise TimeoutError(
            "seeding {} timed out after {} minutes: build {} was still in phase {}; it was stopped. Logs: {}".format(
                repository, timeout_seconds // 60, build["id"], build.get("currentPhase", "unknown"), logs_link(build)
            )
        )
    return {"IsComplete": False}


def failure_reason(build: Dict[str, Any]) -> str:
    """The failed phases of a build with their status codes and messages, and its logs."""
    reasons = []
    for phase in build.get("phases", []):
        if phase.get("phaseStatus") in FAILED:
            contexts = "; ".join(
                ": ".join(x for x in (c.get("statusCode"), c.get("message")) if x)
                for c in phase.get("contexts", [])
            )
            reasons.append("phase {} {}{}".format(phase.get("phaseType"), phase.get("phaseStatus"), " (" + contexts + ")" if contexts else ""))
    if not reasons:
        reasons.append("build {} ended {} in phase {}".format(build.get("id"), build.get("buildStatus"), build.get("currentPhase", "unknown")))
    return "; ".join(reasons) + ". Logs: " + logs_link(build)


def logs_link(build: Dict[str, Any]) -> str:
    """The CloudWatch Logs link of a build, or its id when it has none."""
    return build.get("logs", {}).get("deepLink") or "build " + str(build.get("id"))
