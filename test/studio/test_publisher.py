"""The Studio templates' publisher: its S3 and SageMaker calls against a moto server,
its answers to CloudFormation, and the PUT that carries them."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "constructs" / "studio" / "publisher"))

import publisher  # noqa: E402

ASSETS = "cdk-hnb659fds-assets-123456789012-us-east-1"
TEMPLATES = "sagemaker-mlops-templates-123456789012-us-east-1"


def request(kind, templates, assets=(), old=None, resource_type="Custom::PublishStudioTemplates", **props):
    r = {
        "RequestType": kind, "ResourceType": resource_type,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/sagemaker-mlops-studio-templates/1",
        "RequestId": "5d1c0b2a", "LogicalResourceId": "PublicationTemplates",
        "ResponseURL": "http://127.0.0.1:1/unused",
        "ResourceProperties": dict({
            "Bucket": TEMPLATES,
            "Templates": [{"Source": {"Bucket": ASSETS, "Key": src}, "Key": "templates/" + name} for name, src in templates],
            "Assets": [{"Source": {"Bucket": ASSETS, "Key": src}, "Key": "assets/" + key} for key, src in assets],
        }, **props),
    }
    if old is not None:
        r["OldResourceProperties"] = old["ResourceProperties"]
        r["PhysicalResourceId"] = "s3://" + TEMPLATES + "/templates"
    return r


@pytest.fixture
def s3(aws):
    client = boto3.client("s3")
    for bucket in (ASSETS, TEMPLATES):
        client.create_bucket(Bucket=bucket)
    for key, body in {"a.yaml": b"Resources: {}\n", "b.yaml": b"Parameters: {}\n", "code.zip": b"PK\x03\x04zip", "seed.zip": b"PK\x03\x04seed"}.items():
        client.put_object(Bucket=ASSETS, Key=key, Body=body)
    return client


def tags(s3, key):
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=TEMPLATES, Key=key)["TagSet"]}


def keys(s3):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=TEMPLATES).get("Contents", []))


def test_create_copies_templates_tagged_for_studio_and_assets_untagged(s3):
    result = publisher.answer(request("Create", [("one.yaml", "a.yaml")], [("h1.zip", "code.zip")]), boto3.client)

    assert result["Status"] == "SUCCESS", result
    assert result["PhysicalResourceId"] == "s3://" + TEMPLATES + "/templates"
    assert keys(s3) == ["assets/h1.zip", "templates/one.yaml"]
    assert s3.get_object(Bucket=TEMPLATES, Key="templates/one.yaml")["Body"].read() == b"Resources: {}\n"
    assert tags(s3, "templates/one.yaml") == {"sagemaker:studio-visibility": "true"}
    assert s3.head_object(Bucket=TEMPLATES, Key="templates/one.yaml")["ContentType"] == "application/x-yaml"
    assert tags(s3, "assets/h1.zip") == {}, "Studio lists only templates"
    assert s3.get_object(Bucket=TEMPLATES, Key="assets/h1.zip")["Body"].read() == b"PK\x03\x04zip"


def test_update_replaces_in_place_and_unpublishes_what_is_no_longer_named(s3):
    first = request("Create", [("one.yaml", "a.yaml"), ("two.yaml", "a.yaml")], [("h1.zip", "code.zip")])
    publisher.answer(first, boto3.client)
    second = request("Update", [("one.yaml", "b.yaml")], [("h2.zip", "seed.zip")], old=first)

    result = publisher.answer(second, boto3.client)

    assert result["Status"] == "SUCCESS", result
    assert result["PhysicalResourceId"] == "s3://" + TEMPLATES + "/templates", "the same resource: no delete follows"
    assert keys(s3) == ["assets/h1.zip", "assets/h2.zip", "templates/one.yaml"], "old assets stay for projects being created"
    assert s3.get_object(Bucket=TEMPLATES, Key="templates/one.yaml")["Body"].read() == b"Parameters: {}\n"
    assert tags(s3, "templates/one.yaml") == {"sagemaker:studio-visibility": "true"}


def test_delete_unpublishes_the_templates_and_keeps_the_assets(s3):
    created = request("Create", [("one.yaml", "a.yaml")], [("h1.zip", "code.zip")])
    publisher.answer(created, boto3.client)
    deleted = dict(created, RequestType="Delete", PhysicalResourceId="s3://" + TEMPLATES + "/templates")

    assert publisher.answer(deleted, boto3.client)["Status"] == "SUCCESS"
    assert keys(s3) == ["assets/h1.zip"]


def test_a_missing_source_fails_the_request_with_the_reason(s3):
    result = publisher.answer(request("Create", [("one.yaml", "missing.yaml")]), boto3.client)

    assert result["Status"] == "FAILED"
    assert result["Reason"] == "NoSuchKey: An error occurred (NoSuchKey) when calling the CopyObject operation: The specified key does not exist."
    assert result["PhysicalResourceId"] == "PublicationTemplates"
    assert keys(s3) == []


def test_an_unknown_resource_type_fails_naming_the_known_ones(aws):
    result = publisher.answer(request("Create", [], resource_type="Custom::Other"), boto3.client)
    assert result["Status"] == "FAILED"
    assert result["Reason"] == "ValueError: unknown resource type Custom::Other: use one of Custom::PublishStudioTemplates, Custom::StudioTemplatesLocation"


@pytest.fixture
def domain(aws):
    sm = boto3.client("sagemaker")
    # moto 5.2.5 cannot add tags to a domain created without any.
    arn = sm.create_domain(
        DomainName="studio", AuthMode="IAM", DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/studio"},
        SubnetIds=["subnet-0123456789abcdef0"], VpcId="vpc-0123456789abcdef0", Tags=[{"Key": "team", "Value": "ml"}],
    )["DomainArn"]
    return sm, arn


def location_request(kind, arn, location):
    return {
        "RequestType": kind, "ResourceType": "Custom::StudioTemplatesLocation", "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "1", "LogicalResourceId": "PublicationDomainTemplatesLocation", "ResponseURL": "http://127.0.0.1:1/unused",
        "PhysicalResourceId": arn,
        "ResourceProperties": {"DomainArn": arn, "TagKey": "sagemaker:projectS3TemplatesLocation", "Location": location},
    }


def domain_tags(sm, arn):
    return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


def test_the_domain_is_tagged_with_the_location_and_untagged_only_if_it_still_names_it(domain):
    sm, arn = domain
    mine = "s3://" + TEMPLATES + "/templates/"

    result = publisher.answer(location_request("Create", arn, mine), boto3.client)
    assert result["Status"] == "SUCCESS", result
    assert result["PhysicalResourceId"] == arn
    assert domain_tags(sm, arn) == {"team": "ml", "sagemaker:projectS3TemplatesLocation": mine}

    # Someone points the domain elsewhere (moto appends tags, so the old one goes first).
    sm.delete_tags(ResourceArn=arn, TagKeys=["sagemaker:projectS3TemplatesLocation"])
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "sagemaker:projectS3TemplatesLocation", "Value": "s3://another/templates/"}])
    assert publisher.answer(location_request("Delete", arn, mine), boto3.client)["Status"] == "SUCCESS"
    assert domain_tags(sm, arn) == {"team": "ml", "sagemaker:projectS3TemplatesLocation": "s3://another/templates/"}, "another location stays"

    sm.delete_tags(ResourceArn=arn, TagKeys=["sagemaker:projectS3TemplatesLocation"])
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "sagemaker:projectS3TemplatesLocation", "Value": mine}])
    assert publisher.answer(location_request("Delete", arn, mine), boto3.client)["Status"] == "SUCCESS"
    assert domain_tags(sm, arn) == {"team": "ml"}, "only its own tag goes"


def test_send_puts_the_answer_on_the_response_url():
    received = {}

    class Capture(BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 (http.server's naming)
            received["content-type"] = self.headers.get("Content-Type")
            received["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        publisher.send("http://127.0.0.1:{}/response?X-Amz-Signature=x".format(server.server_address[1]), {"Status": "SUCCESS", "Data": {"a": "b"}})
    finally:
        server.shutdown()
        server.server_close()
    assert received == {"content-type": "", "body": {"Status": "SUCCESS", "Data": {"a": "b"}}}, "S3 pre-signed URLs are signed without a content type"
