"""Command run-pipeline: creates or updates the SageMaker pipeline with the project's
tags, starts an execution, waits for it, and exits non-zero when it fails, printing the
failed step and SageMaker's reason. The ModelBuild CodeBuild project runs it."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from pipelines._utils import UsageError, get_pipeline_driver, parse_json, parse_tags

# Waiting up to 8 hours, the build project's timeout, in 30-second steps.
WAIT_DELAY_SECONDS = 30
WAIT_MAX_ATTEMPTS = 8 * 60 * 2


def failed_steps(steps: List[dict]) -> List[str]:
    """Describes the failed steps of an execution's step list, one line each."""
    lines = []
    for step in steps:
        if step.get("StepStatus") == "Failed":
            lines.append("{}: {}".format(step.get("StepName"), step.get("FailureReason", "no reason given")))
    return lines


def main(argv: Optional[list] = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="run-pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--module-name", required=True, help="module holding get_pipeline")
    parser.add_argument("-kwargs", "--kwargs", help="JSON object of get_pipeline's arguments")
    parser.add_argument("-role-arn", "--role-arn", required=True, help="role the pipeline runs with")
    parser.add_argument("-tags", "--tags", help='JSON array of {"Key": ..., "Value": ...} tags')
    parser.add_argument("-description", "--description", help="the pipeline's description")
    parser.add_argument("--no-wait", action="store_true", help="start the execution and return")
    args = parser.parse_args(argv)
    try:
        kwargs = parse_json("--kwargs", args.kwargs, dict)
        tags = parse_tags(args.tags)
        if tags:
            kwargs.setdefault("tags", tags)
        pipeline = get_pipeline_driver(args.module_name, kwargs)
    except UsageError as e:
        print("run-pipeline: {}".format(e), file=sys.stderr)
        return 2

    response = pipeline.upsert(role_arn=args.role_arn, description=args.description, tags=tags or None)
    print("Upserted pipeline {}".format(response["PipelineArn"]))
    execution = pipeline.start()
    print("Started execution {}".format(execution.arn))
    if args.no_wait:
        return 0
    try:
        execution.wait(delay=WAIT_DELAY_SECONDS, max_attempts=WAIT_MAX_ATTEMPTS)
    except Exception as e:  # the waiter raises on a failed or stopped execution
        print("Execution {} did not succeed: {}".format(execution.arn, e), file=sys.stderr)
        for line in failed_steps(execution.list_steps()):
            print("Failed step {}".format(line), file=sys.stderr)
        return 1
    print("Execution {} succeeded".format(execution.arn))
    return 0


def entrypoint() -> None:
    """Console script."""
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
