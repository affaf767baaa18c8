"""The AWS emulator of the rehearsal: a moto server on 127.0.0.1, taught the
CloudFormation resource types of this project that moto 5.2.5 does not model.

Every type of the project's templates is in one of three groups, which the rehearsal
prints so nobody mistakes a placeholder for a tested resource:

* ``moto``: moto's own CloudFormation support creates it in moto's service backend.
* ``shim``: moto has the service but no CloudFormation handler; a handler below creates
  the resource in moto's backend from the template's properties, so later API calls
  see it (the model package group, the CodeCommit repositories, the CodeBuild
  projects).
* ``placeholder``: nothing models it; a handler accepts it so that references to it
  resolve (CodePipeline pipelines, SageMaker code repositories, bucket policies,
  autoscaling, CDK metadata).

Two moto bugs are corrected for the run: KMS keys created by CloudFormation with tags
crash moto (it expects TagKey/TagValue where CloudFormation gives Key/Value), and moto
names SageMaker endpoints after their logical id instead of their EndpointName.
"""

from __future__ import annotations

import logging
import socket
from typing import Any, Dict

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.server import ThreadedMotoServer

MOTO_TYPES = "moto"
SHIM_TYPES = "shim"
PLACEHOLDER_TYPES = "placeholder"


class _Resource:
    """What the handlers of this module share. Each handler also derives directly from
    CloudFormationModel, since moto finds handlers among its direct subclasses."""

    cfn_type = ""
    name_property = ""
    attributes: Dict[str, str] = {}

    def __init__(self, name: str, account_id: str, region: str, properties: Dict[str, Any]):
        self.name = name
        self.account_id = account_id
        self.region = region
        self.properties = properties

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attr: str) -> Any:
        _, service, kind = self.cfn_type.split("::")
        template = self.attributes.get(attr, "arn:aws:{service}:{region}:{account}:{kind}/{name}")
        return template.format(service=service.lower(), region=self.region, account=self.account_id, kind=kind.lower(), name=self.name)

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.name_property

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.cfn_type

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        resource = cls(resource_name, account_id, region_name, cloudformation_json.get("Properties", {}))
        resource.create()
        return resource

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        original_resource.properties = cloudformation_json.get("Properties", {})
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        cls(resource_name, account_id, region_name, cloudformation_json.get("Properties", {})).delete()

    def create(self) -> None:
        """Creates the resource in moto's backend (nothing for a placeholder)."""

    def delete(self) -> None:
        """Deletes it from moto's backend (nothing for a placeholder)."""


def _tags(props: Dict[str, Any]) -> list:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in props.get("Tags", [])]


class ModelPackageGroup(_Resource, CloudFormationModel):
    cfn_type = "AWS::SageMaker::ModelPackageGroup"
    name_property = "ModelPackageGroupName"
    group = SHIM_TYPES
    attributes = {"ModelPackageGroupArn": "arn:aws:sagemaker:{region}:{account}:model-package-group/{name}"}

    def backend(self):
        from moto.sagemaker.models import sagemaker_backends

        return sagemaker_backends[self.account_id][self.region]

    def create(self):
        self.backend().create_model_package_group(self.name, self.properties.get("ModelPackageGroupDescription", ""), _tags(self.properties))

    def delete(self):
        self.backend().model_package_groups.pop(self.name, None)


class CodeCommitRepository(_Resource, CloudFormationModel):
    cfn_type = "AWS::CodeCommit::Repository"
    name_property = "RepositoryName"
    group = SHIM_TYPES
    attributes = {
        "Arn": "arn:aws:codecommit:{region}:{account}:{name}",
        "Name": "{name}",
        "CloneUrlHttp": "https://git-codecommit.{region}.amazonaws.com/v1/repos/{name}",
        "CloneUrlSsh": "ssh://git-codecommit.{region}.amazonaws.com/v1/repos/{name}",
    }

    def backend(self):
        from moto.codecommit.models import codecommit_backends

        return codecommit_backends[self.account_id][self.region]

    def create(self):
        self.backend().create_repository(self.name, self.properties.get("RepositoryDescription", ""))

    def delete(self):
        self.backend().delete_repository(self.name)


class CodeBuildProject(_Resource, CloudFormationModel):
    cfn_type = "AWS::CodeBuild::Project"
    name_property = "Name"
    group = SHIM_TYPES
    attributes = {"Arn": "arn:aws:codebuild:{region}:{account}:project/{name}"}

    def backend(self):
        from moto.codebuild.models import codebuild_backends

        return codebuild_backends[self.account_id][self.region]

    def create(self):
        p = self.properties
        env = p.get("Environment", {})
        self.backend().create_project(
            self.name, p.get("Description"),
            {"type": p.get("Source", {}).get("Type", "NO_SOURCE")},
            {"type": p.get("Artifacts", {}).get("Type", "NO_ARTIFACTS")},
            {"type": env.get("Type"), "image": env.get("Image"), "computeType": env.get("ComputeType"),
             "environmentVariables": [{"name": v["Name"], "value": str(v["Value"]), "type": v.get("Type", "PLAINTEXT")} for v in env.get("EnvironmentVariables", [])]},
            p.get("ServiceRole"), _tags(p), None, p.get("TimeoutInMinutes"), None, None, None, None,
        )

    def delete(self):
        self.backend().delete_project(self.name)


def _placeholder(cfn_type: str, name_property: str = "", **attributes: str) -> type:
    return type(
        "Placeholder" + cfn_type.replace("::", "").replace("-", ""),
        (_Resource, CloudFormationModel),
        {"cfn_type": cfn_type, "name_property": name_property, "group": PLACEHOLDER_TYPES, "attributes": attributes},
    )


PLACEHOLDERS = [
    # moto evaluates bucket policies, and this plain-HTTP emulator would fail every
    # request of a TLS-only one: the policies are accepted, not applied.
    _placeholder("AWS::S3::BucketPolicy"),
    _placeholder("AWS::CodePipeline::Pipeline", "Name", Version="1"),
    _placeholder("AWS::SageMaker::CodeRepository", "CodeRepositoryName", CodeRepositoryName="{name}"),
    _placeholder("AWS::CDK::Metadata"),
    _placeholder("AWS::ApplicationAutoScaling::ScalableTarget"),
    _placeholder("AWS::ApplicationAutoScaling::ScalingPolicy"),
]


def handled_by(cfn_type: str) -> str:
    """Which group of the module documentation creates resources of cfn_type, or
    "skipped" when nothing does."""
    model = parsing.get_model_map().get(cfn_type)
    if model is None:
        return "skipped"
    return getattr(model, "group", MOTO_TYPES)


def _fix_moto_bugs() -> None:
    import moto.kms.models as kms
    import moto.sagemaker.models as sagemaker

    create_key = kms.Key.create_from_cloudformation_json.__func__

    def create_key_with_cfn_tags(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        if props.get("Tags"):
            props = dict(props, Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props["Tags"]])
            cloudformation_json = dict(cloudformation_json, Properties=props)
        return create_key(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    kms.Key.create_from_cloudformation_json = classmethod(create_key_with_cfn_tags)
    sagemaker.FakeEndpoint.cloudformation_name_type = staticmethod(lambda: "EndpointName")


def start() -> tuple[ThreadedMotoServer, int]:
    """Starts the emulator on a free port of 127.0.0.1 and returns it and the port."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _fix_moto_bugs()
    for cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cache.cache_clear()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, port
