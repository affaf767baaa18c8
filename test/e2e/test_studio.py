"""Rehearsal of the Studio path against the emulator: a platform admin publishes the
templates with `cdk deploy StudioTemplates`; then what SageMaker does on Create
project in Studio (a CloudFormation stack from the published template, with only the
project's name, a generated-looking id and, for the Git variant, the repositories,
created with the launch role); then the project's flow, as test_rehearsal.py runs it
for a `cdk deploy`ed project: register, approve, build, staging, test gate, prod.

What the emulator cannot show: that Studio lists the templates (it reads the tags and
the CORS rule checked here), that SageMaker creates the stack as modelled here (the
stack's name, the capabilities it grants), and IAM (the launch role and the boundary
are checked by the Go tests, not here).
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError

from .rehearsal import ACCOUNT, CDK, REALISTIC, REGION, Project, Rehearsal, deploy_actions, print_handling, step

TEMPLATES_BUCKET = "sagemaker-mlops-templates-{}-{}".format(ACCOUNT, REGION)
DOMAIN = "studio01"


def generated_id() -> str:
    """An id of the form SageMaker generates, p- and 12 lowercase letters and digits."""
    return "p-" + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(12))


def resolve(value, parameters: dict, conditions: dict):
    """The value of a template's CloudFormation expression, for the given parameters."""
    if isinstance(value, dict):
        if "Ref" in value:
            return parameters[value["Ref"]]
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(str(resolve(p, parameters, conditions)) for p in parts)
        if "Fn::If" in value:
            name, yes, no = value["Fn::If"]
            return resolve(yes if conditions[name] else no, parameters, conditions)
        return {k: resolve(v, parameters, conditions) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, parameters, conditions) for v in value]
    return value


class StudioProject(Project):
    """A project created from a published template, as SageMaker creates it."""

    def __init__(self, r: Rehearsal, template_name: str, name: str, parameters: dict, launch_role: str):
        project_id = generated_id()
        super().__init__(r, project_id, name)
        self.template_name = template_name
        self.stack = "SP-" + project_id  # SageMaker names a project's stack SP-... (AWS's sample policy grants SP-*)
        self.parameters = dict(parameters, SageMakerProjectName=name, SageMakerProjectId=project_id)
        self.launch_role = launch_role

    def create(self) -> dict:
        """CreateProject's CloudFormation stack, from the published object; returns the
        template as published."""
        key = "templates/{}.yaml".format(self.template_name)
        body = self.r.client("s3").get_object(Bucket=TEMPLATES_BUCKET, Key=key)["Body"].read()
        self.template = yaml.safe_load(body)
        cf = self.r.client("cloudformation")
        # The published TemplateURL is https://<bucket>.s3.<region>.amazonaws.com/...;
        # moto reads templates from its S3 by a localhost URL.
        cf.create_stack(
            StackName=self.stack, TemplateURL="http://localhost:{}/{}/{}".format(self.r.port, TEMPLATES_BUCKET, key),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()],
            RoleARN=self.launch_role, Capabilities=["CAPABILITY_IAM"],
            Tags=[{"Key": "sagemaker:project-name", "Value": self.parameters["SageMakerProjectName"]},
                  {"Key": "sagemaker:project-id", "Value": self.id}],
        )
        cf.get_waiter("stack_create_complete").wait(StackName=self.stack)
        values = dict(self.parameters, **{"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"})
        for name, spec in self.template["Parameters"].items():
            values.setdefault(name, spec.get("Default"))
        conditions = {}
        for name, expr in self.template.get("Conditions", {}).items():
            if "Fn::Equals" in expr:
                a, b = expr["Fn::Equals"]
                conditions[name] = resolve(a, values, {}) == resolve(b, values, {})
            else:
                a, b = expr["Fn::Not"][0]["Fn::Equals"]
                conditions[name] = resolve(a, values, {}) != resolve(b, values, {})
        self.conditions = conditions
        self.actions = {stage: resolve(config, values, conditions) for stage, config in deploy_actions(self.template).items()}
        return self.template

    def seed_of(self, cdk_out: Path, repository: str) -> Path:
        """The directory of the published asset a CodeCommit repository starts with."""
        for resource in self.template["Resources"].values():
            if resource["Type"] == "AWS::CodeCommit::Repository" and repository in json.dumps(resource["Properties"]["RepositoryName"]):
                key = resource["Properties"]["Code"]["S3"]["Key"]
                return cdk_out / ("asset." + key.removeprefix("assets/").removesuffix(".zip"))
        raise AssertionError("no CodeCommit repository {}".format(repository))


def test_a_studio_project(rehearsal):
    r = rehearsal
    out = r.workdir / "cdk.out-studio"

    with step("S1. publish the templates with cdk deploy StudioTemplates (domain tagged)"):
        r.bootstrap()
        sm = r.client("sagemaker")
        domain = sm.create_domain(
            DomainName=DOMAIN, AuthMode="IAM", DefaultUserSettings={"ExecutionRole": "arn:aws:iam::{}:role/studio".format(ACCOUNT)},
            SubnetIds=["subnet-0123456789abcdef0"], VpcId="vpc-0123456789abcdef0", Tags=[{"Key": "team", "Value": "ml"}],
        )
        r.run([CDK, "deploy", "StudioTemplates", "--require-approval", "never", "--output", out, "-c", "studio.enabled=true", "-c", "studio.domainId=" + domain["DomainArn"].split("/")[-1]])
        publishing = json.loads((out / "StudioTemplates.template.json").read_text())
        print_handling(publishing)
        cf = r.client("cloudformation")
        stack = cf.describe_stacks(StackName="sagemaker-mlops-studio-templates")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        s3 = r.client("s3")
        objects = {o["Key"] for o in s3.list_objects_v2(Bucket=TEMPLATES_BUCKET)["Contents"]}
        templates = sorted(k for k in objects if k.startswith("templates/"))
        assert templates == ["templates/mlops-build-train-deploy-git.yaml", "templates/mlops-build-train-deploy.yaml"]
        for key in templates:
            tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=TEMPLATES_BUCKET, Key=key)["TagSet"]}
            assert tags == {"sagemaker:studio-visibility": "true"}, key
            yaml.safe_load(s3.get_object(Bucket=TEMPLATES_BUCKET, Key=key)["Body"].read())
        cors = s3.get_bucket_cors(Bucket=TEMPLATES_BUCKET)["CORSRules"]
        assert [rule["AllowedOrigins"] for rule in cors] == [["https://*.sagemaker.aws"]]
        assert s3.get_bucket_versioning(Bucket=TEMPLATES_BUCKET)["Status"] == "Enabled"
        domain_tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=domain["DomainArn"])["Tags"]}
        assert domain_tags["sagemaker:projectS3TemplatesLocation"] == "s3://{}/templates/".format(TEMPLATES_BUCKET)
        launch_role = outputs.get("LaunchRoleArn") or r.client("iam").get_role(RoleName="sagemaker-mlops-projects-launch-" + REGION)["Role"]["Arn"]
        print("   published {}; {} assets; domain {} lists them".format(", ".join(templates), len([k for k in objects if k.startswith("assets/")]), domain["DomainArn"].split("/")[-1]))

    p = StudioProject(r, "mlops-build-train-deploy", "Churn-Model", {}, launch_role)
    with step("S2. create project {} from the CodeCommit template, as SageMaker does".format(p.id)):
        template = p.create()
        print_handling(template)
        assert r.client("sagemaker").describe_model_package_group(ModelPackageGroupName=p.group)["ModelPackageGroupName"] == "Churn-Model-" + p.id
        group_arn = r.client("sagemaker").describe_model_package_group(ModelPackageGroupName=p.group)["ModelPackageGroupArn"]
        tags = {t["Key"]: t["Value"] for t in r.client("sagemaker").list_tags(ResourceArn=group_arn)["Tags"]}
        assert tags == {"sagemaker:project-name": "Churn-Model", "sagemaker:project-id": p.id}, "tagged from the parameters SageMaker passed"
        r.client("s3").head_bucket(Bucket="sagemaker-project-" + p.id)
        builds = set(r.client("codebuild").list_projects()["projects"])
        assert {"sagemaker-Churn-Model-{}-{}".format(p.id, s) for s in ("modelbuild", "modeldeploy", "testing")} <= builds
        assert {stage: action["StackName"] for stage, action in p.actions.items()} == {
            "DeployStaging": "sagemaker-Churn-Model-{}-deploy-staging".format(p.id), "DeployProd": "sagemaker-Churn-Model-{}-deploy-prod".format(p.id),
        }
        iam = r.client("iam")
        roles = [iam.get_role(RoleName=role["RoleName"])["Role"] for role in iam.list_roles(PathPrefix="/sagemaker-projects/{}/".format(p.id))["Roles"]]
        assert len(roles) >= 10
        for role in roles:
            assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::{}:policy/sagemaker-mlops-projects-boundary-{}".format(ACCOUNT, REGION), role["RoleName"]
        print("   {} roles under /sagemaker-projects/{}/, each with the projects' boundary".format(len(roles), p.id))

    build_out = r.workdir / "build-studio"
    with step("S3. register and approve a version; build, deploy staging, test, deploy prod"):
        older = p.register("Approved")
        newest = p.register("Approved")
        p.seed = p.seed_of(out, "modeldeploy")
        proc = p.build(build_out)
        assert "Synthesizing the endpoint stacks of model package {}".format(newest) in proc.stdout, proc.stdout
        staging = json.loads((build_out / "Staging.template.json").read_text())
        for res in staging["Resources"].values():
            if res["Type"] == "AWS::IAM::Role":
                assert res["Properties"]["PermissionsBoundary"].endswith(":policy/sagemaker-mlops-projects-boundary-" + REGION), "the deployment role may create no other role"
        assert p.after_build(build_out, REALISTIC) == "deployed to prod"
        assert p.endpoint("staging")["package"] == newest and p.endpoint("prod")["package"] == newest
        assert older != newest
        print("   endpoints {} and {} serve {}".format(p.group + "-staging", p.group + "-prod", newest.split("/", 1)[1]))

    g = StudioProject(r, "mlops-build-train-deploy-git", "Fraud", {
        "ModelBuildCodeRepositoryFullname": "example-org/fraud-modelbuild",
        "ModelBuildCodestarConnectionArn": "arn:aws:codeconnections:{}:{}:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d".format(REGION, ACCOUNT),
        "ModelDeployCodeRepositoryFullname": "example-org/fraud-modeldeploy",
        "ModelDeployCodestarConnectionArn": "arn:aws:codeconnections:{}:{}:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d".format(REGION, ACCOUNT),
        "ModelBuildSampleCode": "false", "ModelDeploySampleCode": "false",
    }, launch_role)
    with step("S4. create project {} from the Git template, Sample Code off".format(g.id)):
        template = g.create()
        summaries = r.client("cloudformation").list_stack_resources(StackName=g.stack)["StackResourceSummaries"]
        print_handling(template, {s["LogicalResourceId"] for s in summaries})
        created = {s["ResourceType"] for s in summaries}
        functions = [s["LogicalResourceId"] for s in summaries if s["ResourceType"] == "AWS::Lambda::Function"]
        assert "Custom::SeedRepository" not in created and all("DeploymentFailed" in f for f in functions), "no seeding without Sample Code (only the failed-deployment notifier)"
        assert "AWS::CodeCommit::Repository" not in created
        assert r.client("sagemaker").describe_model_package_group(ModelPackageGroupName=g.group)["ModelPackageGroupName"] == "Fraud-" + g.id
        print("   conditions: {}".format(", ".join("{}={}".format(k, v) for k, v in sorted(g.conditions.items()))))

    with step("S5. a name or id SageMaker would reject fails the stack's creation with the constraint"):
        cf = r.client("cloudformation")
        for name, project_id, parameter in (("9lives", generated_id(), "SageMakerProjectName"), ("Churn", "P-ABC", "SageMakerProjectId")):
            with pytest.raises(ClientError) as error:
                cf.create_stack(
                    StackName="SP-bad-" + name.lower(), TemplateURL="http://localhost:{}/{}/templates/mlops-build-train-deploy.yaml".format(r.port, TEMPLATES_BUCKET),
                    Parameters=[{"ParameterKey": "SageMakerProjectName", "ParameterValue": name}, {"ParameterKey": "SageMakerProjectId", "ParameterValue": project_id}],
                    RoleARN=launch_role, Capabilities=["CAPABILITY_IAM"],
                )
            message = error.value.response["Error"]["Message"]
            assert message.startswith("Parameter '{}' failed to satisfy constraint: must be ".format(parameter)), message
            print("   " + message)

    with step("S6. delete the projects' stacks and the publishing stack; what remains"):
        cf = r.client("cloudformation")
        for name in (p.actions["DeployStaging"]["StackName"], p.actions["DeployProd"]["StackName"], p.stack, g.stack):
            cf.delete_stack(StackName=name)
            cf.get_waiter("stack_delete_complete").wait(StackName=name)
        r.run([CDK, "destroy", "StudioTemplates", "--force", "--output", out, "-c", "studio.enabled=true"])
        assert not r.stack_exists("sagemaker-mlops-studio-templates")
        objects = {o["Key"] for o in r.client("s3").list_objects_v2(Bucket=TEMPLATES_BUCKET).get("Contents", [])}
        assert not [k for k in objects if k.startswith("templates/")], "Studio lists nothing once unpublished"
        assert [k for k in objects if k.startswith("assets/")], "the bucket and assets are retained"
        assert "sagemaker:projectS3TemplatesLocation" not in {t["Key"] for t in r.client("sagemaker").list_tags(ResourceArn=domain["DomainArn"])["Tags"]}
        assert r.client("sagemaker").describe_model_package_group(ModelPackageGroupName=p.group), "a project's registry is retained"
        r.client("s3").head_bucket(Bucket="sagemaker-project-" + p.id)
