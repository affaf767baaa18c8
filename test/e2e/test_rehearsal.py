"""End-to-end rehearsal of the project against a local AWS emulator (moto server on
127.0.0.1, see emulator.py), with the commands and files the pipelines run in AWS:

1. deploy the project stack with the real CDK CLI (cdk bootstrap, cdk deploy);
2. register model versions, reject one, approve others, and put each state change
   event on the emulator's event bus to see which ones the deployed approval rule
   routes;
3. build like the deploy pipeline's Build stage (the seed's build.sh, with the build
   project's own environment): new code is vetted, tested and compiled, and the
   programs kept in the artifact bucket; check it picked the newest approved version;
4. deploy staging through the CloudFormation API with the stack name and template path
   of the pipeline's action, check the endpoint, run the test gate (the program the
   Build stage compiled, with the test project's environment), then deploy prod;
5. roll out and roll back: approve a newer version (deployed to both stages), reject it
   (the build redeploys the newest version still Approved, through the test gate),
   reject a version no stage serves (the deploy stages are skipped), reject the last
   Approved one (nothing deployed, the build says why); each of these builds finds
   the code compiled and only resolves and synthesizes;
6. monitor: a version registered with a data-quality baseline (as the ModelBuild
   pipeline's check writes it) deploys monitored endpoints, the build saying so; a
   version without one deployed unmonitored in step 3, the build saying why;
7. check the failures: a change whose test fails stops the Build stage and keeps
   nothing compiled; a failing test gate keeps prod as it was;
8. clean up as the walkthrough's step 6 says, and check what is retained.

moto runs neither CodePipeline nor SageMaker's blue/green updates: the pipeline's
stage conditions are replayed from the Build action's exported variables (the build's
deploy.env, as buildspec.yml sources it), and the endpoints' guardrails are checked by
the synth tests.

Each step prints its duration; nothing asserts on time.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from . import emulator
from .rehearsal import ACCOUNT, CDK, PROJECT_ID, REALISTIC, REGION, Project, approval_event, print_handling, step

def test_the_whole_flow(rehearsal):
    r = rehearsal
    p = Project(r, PROJECT_ID)

    with step("1. deploy the project stack with cdk bootstrap and cdk deploy"):
        r.bootstrap()
        template = p.deploy()
        cf = r.client("cloudformation")
        assert cf.describe_stacks(StackName=p.stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        print_handling(template)
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
        rules = [x for x in events.list_rules(NamePrefix=p.stack)["Rules"] if "ApprovalDecision" in x["Name"]]
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
        # moto fails PutEvents when a matching rule's target is one it cannot deliver to
        # (a topic, a pipeline): the notification rule of pending versions waits.
        pending = [x["Name"] for x in events.list_rules(NamePrefix=p.stack)["Rules"] if "VersionAwaitsApproval" in x["Name"]]
        assert len(pending) == 1
        topic_target = events.list_targets_by_rule(Rule=pending[0])["Targets"]
        assert [t["Arn"].split(":")[-1] for t in topic_target] == ["sagemaker-{}-notifications".format(p.group)]
        events.remove_targets(Rule=pending[0], Ids=[t["Id"] for t in topic_target])

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
        assert matches(rejected, "Rejected") is True, "a rejection may roll a stage back"
        assert matches(approved, "PendingManualApproval") is False
        assert matches(approved, "Approved", group="another-p-project1") is False
        events.remove_targets(Rule=rule, Ids=["Rehearsal"])
        events.put_targets(Rule=rule, Targets=targets)
        print("   the deployed rule matches Approved and Rejected only, in {} only".format(p.group))

        # The notification rule of versions awaiting approval, with the queue in the
        # topic's place (moto's EventBridge delivers to no SNS topic): its message names
        # the project and the version.
        events.put_targets(Rule=pending[0], Targets=[dict(topic_target[0], Arn=queue_arn)])
        detail = json.loads(approval_event(rejected, "PendingManualApproval", p.group))
        events.put_events(Entries=[{"Source": detail["source"], "DetailType": detail["detail-type"], "Resources": detail["resources"], "Detail": json.dumps(detail["detail"])}])
        got = [m["Body"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])]
        assert got == ['"SageMaker project {}: model version {} awaits approval in the model registry (group {})."'.format(p.group, rejected, p.group)], got
        events.remove_targets(Rule=pending[0], Ids=[topic_target[0]["Id"]])
        events.put_targets(Rule=pending[0], Targets=topic_target)
        # The topic itself delivers to a subscribed queue.
        sns = r.client("sns")
        topic_arn = "arn:aws:sns:{}:{}:sagemaker-{}-notifications".format(REGION, ACCOUNT, p.group)
        inbox = sqs.create_queue(QueueName="rehearsal-notifications")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
        sns.publish(TopicArn=topic_arn, Message=got[0])
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=0).get("Messages", [])] == got
        print("   a version awaiting approval notifies the topic, which reaches a subscribed queue; placeholders: the")
        print("   CodeStar notification rules (approval needed, failed ModelBuild executions), EventBridge-to-SNS delivery,")
        print("   and the failed-deployment function (moto runs no CodePipeline; test/notifications tests its handler)")

    build_out = r.workdir / "build"
    with step("3. build the endpoint stacks like the pipeline's Build stage"):
        started = time.monotonic()
        proc = p.build(build_out)
        print("   new code: vet, test, compile, resolve and synthesize in {:.1f}s".format(time.monotonic() - started))
        assert "): vet, test and compile" in proc.stdout and "Build: compiled and tested; kept in s3://sagemaker-project-{}/".format(p.id) in proc.stdout, proc.stdout
        assert "Synthesizing the endpoint stacks of model package {}".format(approved) in proc.stdout, proc.stdout
        assert "Deploying without monitoring: model package {} records no data-quality baseline".format(approved) in proc.stdout, proc.stdout
        assert p.decision(build_out)["DEPLOY"] == "true", "no stage runs it yet"
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
        for stage in ("staging", "prod"):
            endpoint = "{}-{}".format(p.group, stage)
            alarms = {a["AlarmName"]: a for a in r.client("cloudwatch").describe_alarms(AlarmNamePrefix=endpoint + "-")["MetricAlarms"]}
            assert sorted(alarms) == [endpoint + "-5xx-errors", endpoint + "-model-latency"], "the endpoint stack's rollback alarms"
            for alarm in alarms.values():
                assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {"EndpointName": endpoint, "VariantName": "AllTraffic"}
        print("   rollback alarms created in moto for both endpoints; moto accepts the endpoints' DeploymentConfig but does not")
        print("   run blue/green updates, traffic shifting, bakes or auto-rollback (the synth tests check that configuration)")

    with step("5. roll out a newer version, roll back by rejecting it, reject what no stage serves, reject the last"):
        def approve_and_run(version, status, out):
            p.set_status(version, status)
            started = time.monotonic()
            proc = p.build(r.workdir / out)
            print("   {} {}: the build fetched the compiled code, resolved and synthesized in {:.1f}s".format(status, version.split("/")[-1], time.monotonic() - started))
            assert "was tested and compiled by an earlier execution: resolving and synthesizing only" in proc.stdout, proc.stdout
            return p.after_build(r.workdir / out, REALISTIC)

        newer = p.register()
        assert approve_and_run(newer, "Approved", "build-newer") == "deployed to prod"
        assert (p.served("staging"), p.served("prod")) == (newer, newer)

        assert approve_and_run(newer, "Rejected", "build-reject-newer") == "deployed to prod", "through staging, the gate and the approval"
        assert (p.served("staging"), p.served("prod")) == (approved, approved), "back to the newest version still Approved"
        assert json.loads(p.report.read_text())["passed"], "the test gate ran on the rolled-back staging endpoint"
        print("   rejecting the served version: " + p.decision(r.workdir / "build-reject-newer")["DEPLOY_REASON"])

        outcome = approve_and_run(older, "Rejected", "build-reject-unserved")
        assert outcome.startswith("skipped: every stage already runs v{} with this repository's code".format(approved.split("/")[-1])), outcome
        print("   rejecting a version no stage serves: " + outcome)

        outcome = approve_and_run(approved, "Rejected", "build-reject-last")
        assert outcome == "skipped: no Approved model package in group {g}: nothing is deployed, the endpoints stay as they are (staging serves v{v} (Rejected), prod serves v{v} (Rejected))".format(
            g=p.group, v=approved.split("/")[-1]), outcome
        assert (p.served("staging"), p.served("prod")) == (approved, approved), "the endpoints stay as they are"
        print("   rejecting the last Approved version: " + outcome)
        print("   placeholder: moto runs no CodePipeline; the deploy stages' entry condition (#{BuildVariables.DEPLOY} EQ true,")
        print("   else SKIP) is replayed from the build's deploy.env, as buildspec.yml exports it")

    with step("6. a version with a data-quality baseline deploys monitored endpoints"):
        s3 = r.client("s3")
        bucket = "sagemaker-project-" + p.id
        prefix = "{}/exec-monitored/CheckDataQualityAbalone/output/".format(p.group)
        features = [{"name": "_c{}".format(i), "inferred_type": "Fractional", "completeness": 1.0} for i in range(10)]
        constraints = {"version": 0.0, "features": features, "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
                       "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust"}}}
        s3.put_object(Bucket=bucket, Key=prefix + "constraints.json", Body=json.dumps(constraints).encode())
        s3.put_object(Bucket=bucket, Key=prefix + "statistics.json", Body=b'{"version": 0.0, "dataset": {"item_count": 2923}, "features": []}')
        uri = "s3://{}/{}".format(bucket, prefix)
        baseline = {"Statistics": {"ContentType": "application/json", "S3Uri": uri + "statistics.json"},
                    "Constraints": {"ContentType": "application/json", "S3Uri": uri + "constraints.json"}}
        monitored = p.register("Approved", DriftCheckBaselines={"ModelDataQuality": baseline}, ModelMetrics={"ModelDataQuality": baseline})
        proc = p.build(r.workdir / "build-monitored")
        for stage in ("staging", "prod"):
            assert "Monitoring {} against {}constraints.json, cron(0 * ? * * *)".format(stage, uri) in proc.stdout, proc.stdout
        assert p.after_build(r.workdir / "build-monitored", REALISTIC) == "deployed to prod"
        sm = r.client("sagemaker")
        for stage in ("staging", "prod"):
            endpoint = "{}-{}".format(p.group, stage)
            assert p.served(stage) == monitored
            names = [x["PhysicalResourceId"] for x in cf.list_stack_resources(StackName=p.actions["Deploy" + stage.capitalize()]["StackName"])["StackResourceSummaries"]
                     if x["ResourceType"] == "AWS::SageMaker::DataQualityJobDefinition"]
            assert len(names) == 1, names
            job = sm.describe_data_quality_job_definition(JobDefinitionName=names[0].split("/")[-1])
            assert job["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == uri + "constraints.json"
            assert job["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == endpoint
            assert job["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"] == "s3://{}/monitoring-{}".format(bucket, stage)
            alarms = r.client("cloudwatch").describe_alarms(AlarmNames=[endpoint + "-data-drift"])["MetricAlarms"]
            assert [a["Threshold"] for a in alarms] == [0.1], "the drift alarm, at the constraints' threshold"
        print("   job definitions created in moto for both endpoints (baseline, captured data, monitoring-<stage>/ output) and")
        print("   their drift alarms; placeholder: the monitoring schedules (moto 5.2.5 has none; the synth tests check them)")

    with step("7. failures: a failing test stops the Build stage; a failing test gate keeps prod as it was"):
        failing = "package main\n\nimport \"testing\"\n\nfunc TestAChangeThatBreaks(t *testing.T) { t.Fatal(\"a broken change\") }\n"
        proc = p.build(r.workdir / "build-broken", check=False, change={"broken_test.go": failing})
        assert proc.returncode != 0 and "a broken change" in proc.stdout + proc.stderr, proc.stdout
        assert not (r.workdir / "build-broken" / "deploy.env").exists(), "no decision: the stages after Build do not run"
        broken = re.search(r"Build: new code \(([0-9a-f]{40})\)", proc.stdout).group(1)
        prefix = r.project_env("sagemaker-{}-modeldeploy".format(p.group))["BUILD_STORE"].split("/", 3)[3]
        kept = [o["Key"] for o in r.client("s3").list_objects_v2(Bucket="sagemaker-project-" + p.id, Prefix=prefix).get("Contents", [])]
        assert kept and not [k for k in kept if broken in k], "a failing test keeps nothing compiled for its code (every execution of it fails the same way), only the code that passed: {}".format(kept)
        print("   a change whose test fails stops the Build stage, and nothing compiled is kept for it")

        version = p.register("Approved")
        p.build(r.workdir / "build-gate-fails")
        outcome = p.after_build(r.workdir / "build-gate-fails", ["<html>model server error</html>"] * 24)
        assert outcome.startswith('stopped at TestStaging: FAILED: call 1 (row 0): the answer "<html>model server error</html>" is not a number'), outcome
        assert (p.served("staging"), p.served("prod")) == (version, monitored), "prod keeps the version it served: nothing untested reaches it"
        print("   a failing test gate stops the pipeline at TestStaging: staging runs the new version, prod the one it ran")

    with step("8. clean up as the walkthrough's step 6 says, check what is retained"):
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
        assert len(sm.list_model_packages(ModelPackageGroupName=p.group)["ModelPackageSummaryList"]) == 6, "with its versions"
        r.client("s3").head_bucket(Bucket="sagemaker-project-" + p.id)  # the artifacts are retained
        codecommit = r.client("codecommit")
        for repo in ("modelbuild", "modeldeploy"):
            with pytest.raises(codecommit.exceptions.RepositoryDoesNotExistException):
                codecommit.get_repository(repositoryName="sagemaker-{}-{}".format(p.group, repo))
        assert not [x for x in r.client("codebuild").list_projects()["projects"] if p.group in x]
