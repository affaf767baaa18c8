"""The deploy pipeline's failure notification names project, stage and version."""

import importlib.util
import os
from pathlib import Path

from botocore.stub import Stubber
import boto3

HANDLER = Path(__file__).resolve().parents[2] / "constructs" / "notifications" / "handler" / "deployment_failed.py"
spec = importlib.util.spec_from_file_location("deployment_failed", HANDLER)
deployment_failed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(deployment_failed)

VERSION = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/abalone-p-abalonedemo1/7"
BUILD = {"stageName": "Build", "actionName": "BuildEndpointStacks", "status": "Succeeded",
         "output": {"outputVariables": {"DEPLOY": "true", "DEPLOY_MODEL_PACKAGE_ARN": VERSION}}}
GATE = {"stageName": "DeployStaging", "actionName": "TestStaging", "status": "Failed", "output": {}}


def test_the_message_names_the_failed_stage_and_the_version():
    subject, body = deployment_failed.message("abalone-p-abalonedemo1", "sagemaker-abalone-p-abalonedemo1-modeldeploy", "e-1", [BUILD, GATE], "DEPLOY_MODEL_PACKAGE_ARN")
    assert subject == "SageMaker project abalone-p-abalonedemo1: deployment failed at DeployStaging/TestStaging"
    assert body == ("SageMaker project abalone-p-abalonedemo1: execution e-1 of pipeline sagemaker-abalone-p-abalonedemo1-modeldeploy "
                    "failed at DeployStaging/TestStaging, deploying model version {} (v7).".format(VERSION))


def test_a_failed_build_has_no_version_to_name():
    failed_build = dict(BUILD, status="Failed", output={})
    _, body = deployment_failed.message("p", "pipe", "e-2", [failed_build], "DEPLOY_MODEL_PACKAGE_ARN")
    assert body.endswith("failed at Build/BuildEndpointStacks, deploying no model version (the build failed or decided nothing).")


def test_the_handler_reads_every_page_and_publishes_to_the_topic(monkeypatch):
    monkeypatch.setenv("PROJECT", "abalone-p-abalonedemo1")
    monkeypatch.setenv("VERSION_VARIABLE", "DEPLOY_MODEL_PACKAGE_ARN")
    monkeypatch.setenv("TOPIC_ARN", "arn:aws:sns:eu-west-1:111111111111:sagemaker-abalone-p-abalonedemo1-notifications")
    codepipeline = boto3.client("codepipeline", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    sns = boto3.client("sns", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    pipeline = "sagemaker-abalone-p-abalonedemo1-modeldeploy"
    with Stubber(codepipeline) as cp, Stubber(sns) as topic:
        cp.add_response("list_action_executions", {"actionExecutionDetails": [BUILD], "nextToken": "t"},
                        {"pipelineName": pipeline, "filter": {"pipelineExecutionId": "e-3"}})
        cp.add_response("list_action_executions", {"actionExecutionDetails": [GATE]},
                        {"pipelineName": pipeline, "filter": {"pipelineExecutionId": "e-3"}, "nextToken": "t"})
        topic.add_response("publish", {"MessageId": "m"}, {
            "TopicArn": os.environ["TOPIC_ARN"],
            "Subject": "SageMaker project abalone-p-abalonedemo1: deployment failed at DeployStaging/TestStaging",
            "Message": "SageMaker project abalone-p-abalonedemo1: execution e-3 of pipeline {} failed at DeployStaging/TestStaging, deploying model version {} (v7).".format(pipeline, VERSION),
        })
        event = {"detail": {"pipeline": pipeline, "execution-id": "e-3", "state": "FAILED"}}
        deployment_failed.handler(event, None, codepipeline=codepipeline, sns=sns)
        cp.assert_no_pending_responses()
        topic.assert_no_pending_responses()
