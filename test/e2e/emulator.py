"""The AWS emulator of the rehearsal: a moto server on 127.0.0.1, taught the
CloudFormation resource types of this project that moto 5.2.5 does not model.

Every type of the project's templates is in one of three groups, which the rehearsal
prints so nobody mistakes a placeholder for a tested resource:

* ``moto``: moto's own CloudFormation support creates it in moto's service backend.
* ``shim``: moto has the service but no CloudFormation handler; a handler below creates
  the resource in moto's backend from the template's properties, so later API calls
  see it (the model package group, the CodeCommit repositories, the CodeBuild
  projects, the endpoints' CloudWatch alarms, the data-quality job definitions).
* ``placeholder``: nothing models it; a handler accepts it so that references to it
  resolve (CodePipeline pipelines, SageMaker code repositories, bucket and topic
  policies, autoscaling, CodeStar notification rules, monitoring schedules, CDK
  metadata).

Three moto bugs are corrected for the run: KMS keys created by CloudFormation with tags
crash moto (it expects TagKey/TagValue where CloudFormation gives Key/Value), moto
names SageMaker endpoints after their logical id instead of their EndpointName, and
moto's CloudFormation drops a bucket's CORS rules and versioning. One
CloudFormation behaviour moto lacks is added: a stack's parameters are checked against
their constraints (AllowedPattern as a whole-value match, MinLength, MaxLength,
AllowedValues), and a value that breaks one fails the stack's creation with the
parameter's ConstraintDescription, as CloudFormation answers.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import boto3
import yaml

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
            p.get("ServiceRole"), _tags(p), None, p.get("TimeoutInMinutes"), None, None, None, _vpc_config(p.get("VpcConfig")),
        )

    def delete(self):
        self.backend().delete_project(self.name)


def _vpc_config(cfn: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """A build project's VpcConfig as CodeBuild's API (and moto) spell it."""
    if not cfn:
        return None
    return {"vpcId": cfn["VpcId"], "subnets": cfn["Subnets"], "securityGroupIds": cfn["SecurityGroupIds"]}


class CloudWatchAlarm(_Resource, CloudFormationModel):
    """The endpoints' rollback alarms, stored in moto's CloudWatch as PutMetricAlarm
    would store them (moto's CloudWatch has no CloudFormation handler)."""

    cfn_type = "AWS::CloudWatch::Alarm"
    name_property = "AlarmName"
    group = SHIM_TYPES
    attributes = {"Arn": "arn:aws:cloudwatch:{region}:{account}:alarm:{name}"}

    def backend(self):
        from moto.cloudwatch.models import cloudwatch_backends

        return cloudwatch_backends[self.account_id][self.region]

    def create(self):
        p = self.properties
        self.backend().put_metric_alarm(
            name=self.name, namespace=p.get("Namespace"), metric_name=p.get("MetricName"), metric_data_queries=None,
            comparison_operator=p["ComparisonOperator"], evaluation_periods=p["EvaluationPeriods"],
            datapoints_to_alarm=p.get("DatapointsToAlarm"), period=p.get("Period"), threshold=p["Threshold"],
            statistic=p.get("Statistic"), extended_statistic=p.get("ExtendedStatistic"), description=p.get("AlarmDescription"),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in p.get("Dimensions", [])],
            alarm_actions=p.get("AlarmActions", []), ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []), unit=p.get("Unit"),
            actions_enabled=p.get("ActionsEnabled", True), treat_missing_data=p.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=None, threshold_metric_id=None, rule=None, tags=_tags(p),
        )

    def delete(self):
        self.backend().delete_alarms([self.name])


class DataQualityJobDefinition(_Resource, CloudFormationModel):
    """An endpoint's data-quality monitoring job, in moto's SageMaker, which models job
    definitions but has no CloudFormation handler for them."""

    cfn_type = "AWS::SageMaker::DataQualityJobDefinition"
    name_property = "JobDefinitionName"
    group = SHIM_TYPES
    attributes = {"JobDefinitionArn": "arn:aws:sagemaker:{region}:{account}:data-quality-job-definition/{name}"}

    def backend(self):
        from moto.sagemaker.models import sagemaker_backends

        return sagemaker_backends[self.account_id][self.region]

    def create(self):
        p = self.properties
        self.backend().create_data_quality_job_definition(
            account_id=self.account_id, job_definition_name=self.name, tags=_tags(p), role_arn=p["RoleArn"],
            job_resources=p["JobResources"], stopping_condition=p.get("StoppingCondition"), environment=None,
            network_config=p.get("NetworkConfig"), data_quality_baseline_config=p.get("DataQualityBaselineConfig"),
            data_quality_app_specification=p["DataQualityAppSpecification"], data_quality_job_input=p["DataQualityJobInput"],
            data_quality_job_output_config=p["DataQualityJobOutputConfig"],
        )

    def delete(self):
        self.backend().data_quality_job_definitions.pop(self.name, None)


class SNSSubscription(_Resource, CloudFormationModel):
    """An email (or other) subscription to the project's topic, in moto's SNS."""

    cfn_type = "AWS::SNS::Subscription"
    group = SHIM_TYPES

    def backend(self):
        from moto.sns.models import sns_backends

        return sns_backends[self.account_id][self.region]

    def create(self):
        p = self.properties
        self.name = self.backend().subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"]).arn

    def delete(self):
        self.backend().unsubscribe(self.name)


PUBLISHER = Path(__file__).resolve().parents[2] / "constructs" / "studio" / "publisher"


class _HandledInProcess(_Resource, CloudFormationModel):
    """A custom resource whose handler is the project's own Python code, run here with
    clients of the emulator itself."""

    group = SHIM_TYPES
    endpoint = ""

    def request(self, kind: str, old: Dict[str, Any] | None = None) -> Dict[str, Any]:
        import publisher  # noqa: PLC0415 - the publisher's module, from PUBLISHER

        request = {
            "RequestType": kind, "ResourceType": self.cfn_type, "StackId": "emulated", "RequestId": "emulated",
            "LogicalResourceId": self.name, "ResourceProperties": self.properties,
        }
        if old is not None:
            request["OldResourceProperties"] = old
        response = publisher.answer(request, lambda service: boto3.client(
            service, endpoint_url=self.endpoint, region_name=self.region, aws_access_key_id="testing", aws_secret_access_key="testing"))
        if response["Status"] != "SUCCESS":
            raise RuntimeError("{} {} failed: {}".format(self.cfn_type, kind, response.get("Reason")))
        return response

    def create(self):
        self.request("Create")

    def delete(self, *_account_and_region):
        """Deletes with the properties the resource was created with: moto calls this
        with the account and region, and would otherwise hand the template's
        unresolved properties to delete_from_cloudformation_json."""
        self.request("Delete")

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        old = original_resource.properties
        original_resource.properties = cloudformation_json.get("Properties", {})
        original_resource.request("Update", old)
        return original_resource


class PublishStudioTemplates(_HandledInProcess):
    cfn_type = "Custom::PublishStudioTemplates"


class StudioTemplatesLocation(_HandledInProcess):
    cfn_type = "Custom::StudioTemplatesLocation"


IN_PROCESS = {c.cfn_type: c for c in (PublishStudioTemplates, StudioTemplatesLocation)}


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
    # moto has no CodeStar Notifications; and, as for bucket policies, a TLS-only topic
    # policy would refuse this plain-HTTP emulator's publishing.
    _placeholder("AWS::CodeStarNotifications::NotificationRule", Arn="arn:aws:codestar-notifications:{region}:{account}:notificationrule/{name}"),
    _placeholder("AWS::SNS::TopicPolicy"),
    # moto 5.2.5 has no monitoring schedules.
    _placeholder("AWS::SageMaker::MonitoringSchedule", "MonitoringScheduleName", MonitoringScheduleArn="arn:aws:sagemaker:{region}:{account}:monitoring-schedule/{name}"),
]


def handled_by(cfn_type: str) -> str:
    """Which group of the module documentation creates resources of cfn_type, or
    "skipped" when nothing does."""
    model = IN_PROCESS.get(cfn_type) or parsing.get_model_map().get(cfn_type)
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

    import moto.s3.models as s3

    create_bucket = s3.FakeBucket.create_from_cloudformation_json.__func__

    def create_bucket_with_cors_and_versioning(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        bucket = create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json.get("Properties", {})
        api = {"AllowedOrigins": "AllowedOrigin", "AllowedMethods": "AllowedMethod", "AllowedHeaders": "AllowedHeader", "ExposedHeaders": "ExposeHeader", "Id": "ID"}
        rules = [{api.get(k, k): v for k, v in rule.items()} for rule in props.get("CorsConfiguration", {}).get("CorsRules", [])]
        if rules:
            bucket.set_cors(rules)
        if props.get("VersioningConfiguration", {}).get("Status"):
            bucket.versioning_status = props["VersioningConfiguration"]["Status"]
        return bucket

    s3.FakeBucket.create_from_cloudformation_json = classmethod(create_bucket_with_cors_and_versioning)


def _run_custom_resources_in_process() -> None:
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str):
        return IN_PROCESS.get(resource_type) or original(resource_type)

    parsing.resource_class_from_type = resource_class_from_type
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(PUBLISHER))


def check_parameters(template: str, parameters: Dict[str, Any]) -> None:
    """Checks parameter values against the template's constraints as CloudFormation
    does, raising its ValidationError."""
    from moto.cloudformation.exceptions import ValidationError

    declared = (yaml.safe_load(template) or {}).get("Parameters", {})
    for name, spec in declared.items():
        value = parameters.get(name, spec.get("Default"))
        if value is None:
            raise ValidationError(message="Parameters: [{}] must have values".format(name))
        value = str(value)
        broken = (
            ("AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value))
            or ("MinLength" in spec and len(value) < int(spec["MinLength"]))
            or ("MaxLength" in spec and len(value) > int(spec["MaxLength"]))
            or ("AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]])
        )
        if broken:
            raise ValidationError(message="Parameter '{}' failed to satisfy constraint: {}".format(
                name, spec.get("ConstraintDescription", "see its AllowedPattern, lengths or AllowedValues")))


def _check_stack_parameters() -> None:
    from moto.cloudformation.models import CloudFormationBackend

    create_stack = CloudFormationBackend.create_stack

    def create_stack_checking_parameters(self, name, template, parameters, *args, **kwargs):
        check_parameters(template, parameters)
        return create_stack(self, name, template, parameters, *args, **kwargs)

    CloudFormationBackend.create_stack = create_stack_checking_parameters


def start() -> tuple[ThreadedMotoServer, int]:
    """Starts the emulator on a free port of 127.0.0.1 and returns it and the port."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _fix_moto_bugs()
    _run_custom_resources_in_process()
    _check_stack_parameters()
    for cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cache.cache_clear()
    # Port 0: the server binds a port the system picks, which no other emulator of a
    # run side by side can take between choosing and binding it.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    _HandledInProcess.endpoint = "http://127.0.0.1:{}".format(port)
    return server, port
