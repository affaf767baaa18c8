"""Custom resource handler that publishes SageMaker project templates for Studio.

Two resource types:

``Custom::PublishStudioTemplates``
    Properties ``Bucket``, ``Templates`` and ``Assets``, the last two lists of
    ``{"Source": {"Bucket", "Key"}, "Key"}``. Create and Update copy every asset and
    template from its source (the CDK asset bucket) to its key in ``Bucket``; template
    objects get the tag ``sagemaker:studio-visibility=true``, which Studio lists, and a
    YAML content type. An Update removes the templates the new properties no longer
    name. Delete removes the templates, so Studio lists them no more; assets stay, for
    projects that are still being created from them.

``Custom::StudioTemplatesLocation``
    Properties ``DomainArn``, ``TagKey`` and ``Location``. Create and Update tag the
    SageMaker domain with ``TagKey=Location``, so that its Studio reads templates from
    there; Delete removes the tag if it still names this location.

Every request is answered on the pre-signed ResponseURL that CloudFormation gives;
a failure answers FAILED with the error, so the stack event says what went wrong.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict

VISIBILITY_TAG = "sagemaker:studio-visibility"
YAML = "application/x-yaml"


def publish(request: Dict[str, Any], s3) -> Dict[str, Any]:
    """Handles Custom::PublishStudioTemplates; returns the physical id and data."""
    props = request["ResourceProperties"]
    bucket = props["Bucket"]
    kind = request["RequestType"]
    if kind in ("Create", "Update"):
        for asset in props.get("Assets", []):
            _copy(s3, asset["Source"], bucket, asset["Key"])
        for template in props["Templates"]:
            _copy(s3, template["Source"], bucket, template["Key"], tags={VISIBILITY_TAG: "true"}, content_type=YAML)
    if kind == "Update":
        old = request.get("OldResourceProperties", {})
        if old.get("Bucket") == bucket:
            kept = {t["Key"] for t in props["Templates"]}
            _delete(s3, bucket, [t["Key"] for t in old.get("Templates", []) if t["Key"] not in kept])
    if kind == "Delete":
        _delete(s3, bucket, [t["Key"] for t in props["Templates"]])
    keys = [t["Key"] for t in props["Templates"]]
    return {"PhysicalResourceId": "s3://" + bucket + "/templates", "Data": {"Templates": ",".join(keys)}}


def tag_domain(request: Dict[str, Any], sagemaker) -> Dict[str, Any]:
    """Handles Custom::StudioTemplatesLocation; returns the physical id and data."""
    props = request["ResourceProperties"]
    domain, key, location = props["DomainArn"], props["TagKey"], props["Location"]
    if request["RequestType"] in ("Create", "Update"):
        sagemaker.add_tags(ResourceArn=domain, Tags=[{"Key": key, "Value": location}])
    else:
        tags = sagemaker.list_tags(ResourceArn=domain).get("Tags", [])
        if any(t["Key"] == key and t["Value"] == location for t in tags):
            sagemaker.delete_tags(ResourceArn=domain, TagKeys=[key])
    # The domain is the physical id: another domain replaces the resource, and
    # CloudFormation then deletes the old one, which untags the old domain.
    return {"PhysicalResourceId": domain, "Data": {"Location": location}}


def _copy(s3, source: Dict[str, str], bucket: str, key: str, tags: Dict[str, str] | None = None, content_type: str | None = None) -> None:
    args: Dict[str, Any] = {"Bucket": bucket, "Key": key, "CopySource": {"Bucket": source["Bucket"], "Key": source["Key"]}}
    if tags is not None:
        args.update(Tagging=urllib.parse.urlencode(tags), TaggingDirective="REPLACE")
    if content_type is not None:
        args.update(ContentType=content_type, MetadataDirective="REPLACE")
    s3.copy_object(**args)


def _delete(s3, bucket: str, keys) -> None:
    keys = sorted(set(keys))
    if keys:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})


HANDLERS: Dict[str, Callable[[Dict[str, Any], Any], Dict[str, Any]]] = {
    "Custom::PublishStudioTemplates": lambda request, clients: publish(request, clients("s3")),
    "Custom::StudioTemplatesLocation": lambda request, clients: tag_domain(request, clients("sagemaker")),
}


def answer(request: Dict[str, Any], clients: Callable[[str], Any]) -> Dict[str, Any]:
    """The response to send for request: SUCCESS with the handler's result, or FAILED
    with the reason."""
    response = {
        "StackId": request["StackId"], "RequestId": request["RequestId"], "LogicalResourceId": request["LogicalResourceId"],
        "PhysicalResourceId": request.get("PhysicalResourceId", request["LogicalResourceId"]),
    }
    try:
        handle = HANDLERS.get(request["ResourceType"])
        if handle is None:
            raise ValueError("unknown resource type {}: use one of {}".format(request["ResourceType"], ", ".join(sorted(HANDLERS))))
        response.update(handle(request, clients), Status="SUCCESS")
    except Exception as error:  # noqa: BLE001 - every failure must reach CloudFormation
        response.update(Status="FAILED", Reason="{}: {}".format(type(error).__name__, error)[:1000])
    return response


def send(url: str, response: Dict[str, Any]) -> None:
    """Puts the response on CloudFormation's pre-signed URL."""
    body = json.dumps(response).encode()
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()


def handler(event, context):  # pragma: no cover - the Lambda entry point; answer and send are tested
    import boto3

    response = answer(event, boto3.client)
    print(json.dumps({k: v for k, v in response.items() if k != "Data"}))
    send(event["ResponseURL"], response)
