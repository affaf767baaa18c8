"""Helpers of the command-line tools: JSON arguments and loading a pipeline module."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
from typing import Any, Iterator, Optional


class UsageError(Exception):
    """A command-line argument is wrong; the message says which and why."""


def parse_json(name: str, text: Optional[str], kind: type) -> Any:
    """Parses the JSON value of argument name, which must be of kind (dict or list)."""
    if text is None or text.strip() == "":
        return kind()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError("{} is not valid JSON ({}): {!r}".format(name, e.msg, text))
    if not isinstance(value, kind):
        raise UsageError("{} must be a JSON {}, not {}".format(name, "object" if kind is dict else "array", type(value).__name__))
    return value


def parse_tags(text: Optional[str]) -> list:
    """Parses --tags, a JSON array of {"Key": ..., "Value": ...} objects."""
    tags = parse_json("--tags", text, list)
    for tag in tags:
        if not isinstance(tag, dict) or set(tag) != {"Key", "Value"}:
            raise UsageError('--tags must be a JSON array of {{"Key": ..., "Value": ...}} objects, got {!r}'.format(tag))
    return tags


def get_pipeline_driver(module_name: str, kwargs: dict) -> Any:
    """Imports module_name and calls its get_pipeline(**kwargs), rejecting arguments it
    does not take before calling it."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise UsageError("cannot import the pipeline module {!r}: {}".format(module_name, e))
    get_pipeline = getattr(module, "get_pipeline", None)
    if get_pipeline is None:
        raise UsageError("module {!r} has no get_pipeline function".format(module_name))
    params = inspect.signature(get_pipeline).parameters
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise UsageError(
            "get_pipeline of {} takes no argument {}: it takes {}".format(
                module_name, ", ".join(unknown), ", ".join(params)
            )
        )
    missing = [n for n, p in params.items() if p.default is inspect.Parameter.empty and n not in kwargs]
    if missing:
        raise UsageError("get_pipeline of {} needs {}".format(module_name, ", ".join(missing)))
    return get_pipeline(**kwargs)


@contextlib.contextmanager
def project_role_checks_off() -> Iterator[None]:
    """Turns off, for the block, SDK v3's check of the roles it is given.

    The SDK checks a training role by simulating, among others, the EC2 network
    interface actions of jobs in a VPC; this project's pipeline role runs no job in a
    VPC and is denied them, so the check would refuse a role that works (and it needs
    iam:SimulatePrincipalPolicy, which the project's build does not have). The role
    comes from the project stack, with exactly what the pipeline's steps use.
    """
    saved = os.environ.get("SAGEMAKER_VALIDATE_ROLE")
    os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SAGEMAKER_VALIDATE_ROLE", None)
        else:
            os.environ["SAGEMAKER_VALIDATE_ROLE"] = saved
