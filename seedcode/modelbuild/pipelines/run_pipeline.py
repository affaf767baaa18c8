"""Command run-pipeline: creates or updates the SageMaker pipeline with the project's
tags, starts an execution, waits for it, and exits non-zero when it fails, printing the
failed step and SageMaker's reason. The ModelBuild CodeBuild project runs it.

When the pipeline module has a start_parameters(region, model_package_group_name)
function, the execution starts with the parameters it returns (the abalone pipeline's
skip the quality checks that have no approved baseline yet), printing its reasons."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from typing import Callable, List, Optional

from pipelines._utils import UsageError, get_pipeline_driver, parse_json, parse_tags, project_role_checks_off

# How often the execution is polled, and how long it is waited for by default: the
# build project's 480-minute timeout less time for installing and testing, so that a
# long execution ends the build with this command's report, not CodeBuild's timeout.
POLL_SECONDS = 30
DEFAULT_WAIT_MINUTES = 450
# The statuses an execution ends in (DescribePipelineExecution).
SUCCEEDED = "Succeeded"
UNSUCCESSFUL = ("Failed", "Stopped")


def failed_steps(steps: List[dict]) -> List[str]:
    """Describes the failed steps of an execution's step list, one line each."""
    lines = []
    for step in steps:
        if step.get("StepStatus") == "Failed":
            lines.append("{}: {}".format(step.get("StepName"), step.get("FailureReason", "no reason given")))
    return lines


def wait_for(
    execution,
    wait_seconds: float,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Polls the execution until it ends or wait_seconds pass; returns the exit code.

    Succeeded gives 0. Failed or Stopped gives 1, printing the execution's failure
    reason and each failed step with its reason. Still running after wait_seconds gives
    1 too, saying so: the execution goes on in SageMaker."""
    deadline = clock() + wait_seconds
    while True:
        described = execution.describe()
        status = described["PipelineExecutionStatus"]
        if status == SUCCEEDED:
            print("Execution {} succeeded".format(execution.arn))
            return 0
        if status in UNSUCCESSFUL:
            reason = described.get("FailureReason")
            print("Execution {} {}{}".format(execution.arn, status.lower(), ": " + reason if reason else ""), file=sys.stderr)
            for line in failed_steps(execution.list_steps()):
                print("Failed step {}".format(line), file=sys.stderr)
            return 1
        if clock() >= deadline:
            print("Execution {} is still {} after {:g} minutes; it goes on in SageMaker, but this build stops waiting"
                  .format(execution.arn, status, wait_seconds / 60), file=sys.stderr)
            return 1
        sleep(poll_seconds)


def main(argv: Optional[list] = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="run-pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--module-name", required=True, help="module holding get_pipeline")
    parser.add_argument("-kwargs", "--kwargs", help="JSON object of get_pipeline's arguments")
    parser.add_argument("-role-arn", "--role-arn", required=True, help="role the pipeline runs with")
    parser.add_argument("-tags", "--tags", help='JSON array of {"Key": ..., "Value": ...} tags')
    parser.add_argument("-description", "--description", help="the pipeline's description")
    parser.add_argument("--no-wait", action="store_true", help="start the execution and return")
    parser.add_argument("--wait-minutes", type=float, default=DEFAULT_WAIT_MINUTES,
                        help="how long to wait for the execution (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.wait_minutes <= 0:
            raise UsageError("--wait-minutes must be positive, not {:g}".format(args.wait_minutes))
        kwargs = parse_json("--kwargs", args.kwargs, dict)
        tags = parse_tags(args.tags)
        if tags:
            kwargs.setdefault("tags", tags)
        pipeline = get_pipeline_driver(args.module_name, kwargs)
    except UsageError as e:
        print("run-pipeline: {}".format(e), file=sys.stderr)
        return 2

    with project_role_checks_off():
        response = pipeline.upsert(role_arn=args.role_arn, description=args.description, tags=tags or None)
    print("Upserted pipeline {}".format(response["PipelineArn"]))
    parameters = {}
    hook = getattr(importlib.import_module(args.module_name), "start_parameters", None)
    if hook is not None and kwargs.get("model_package_group_name"):
        parameters, notes = hook(kwargs["region"], kwargs["model_package_group_name"])
        for note in notes:
            print(note)
    execution = pipeline.start(parameters=parameters or None)
    print("Started execution {}".format(execution.arn))
    if args.no_wait:
        return 0
    return wait_for(execution, args.wait_minutes * 60)


def entrypoint() -> None:
    """Console script."""
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
