"""Command get-pipeline-definition: prints (or writes) a pipeline's JSON definition, as
SageMaker would receive it, without creating anything."""

from __future__ import annotations

import argparse
import sys
from typing import Optional

from pipelines._utils import UsageError, get_pipeline_driver, parse_json


def main(argv: Optional[list] = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="get-pipeline-definition", description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--module-name", required=True, help="module holding get_pipeline, e.g. pipelines.abalone.pipeline")
    parser.add_argument("-kwargs", "--kwargs", help="JSON object of get_pipeline's arguments")
    parser.add_argument("-f", "--file-name", help="where to write the definition (default: standard output)")
    args = parser.parse_args(argv)
    try:
        pipeline = get_pipeline_driver(args.module_name, parse_json("--kwargs", args.kwargs, dict))
    except UsageError as e:
        print("get-pipeline-definition: {}".format(e), file=sys.stderr)
        return 2
    definition = pipeline.definition()
    if args.file_name:
        with open(args.file_name, "w") as f:
            f.write(definition)
    else:
        print(definition)
    return 0


def entrypoint() -> None:
    """Console script."""
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
