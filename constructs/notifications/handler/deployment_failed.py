"""Tells the project's topic that a deploy pipeline execution failed, naming the
project, the stage and action that failed, and the model version the execution was
deploying (the Build action's exported variable), which CodeStar's own failure
notification cannot name."""

import os

import boto3


def message(project, pipeline, execution_id, actions, version_variable):
    """The notification for a failed execution, from its action executions (as
    ListActionExecutions gives them)."""
    version = ""
    failed = []
    for a in actions:
        variables = (a.get("output") or {}).get("outputVariables") or {}
        version = variables.get(version_variable) or version
        if a.get("status") == "Failed":
            failed.append("{}/{}".format(a.get("stageName"), a.get("actionName")))
    where = ", ".join(sorted(set(failed))) or "an unknown action"
    what = "model version {} (v{})".format(version, version.rsplit("/", 1)[-1]) if version else "no model version (the build failed or decided nothing)"
    subject = "SageMaker project {}: deployment failed at {}".format(project, where)[:100]
    body = "SageMaker project {}: execution {} of pipeline {} failed at {}, deploying {}.".format(project, execution_id, pipeline, where, what)
    return subject, body


def handler(event, _context, codepipeline=None, sns=None):
    detail = event["detail"]
    codepipeline = codepipeline or boto3.client("codepipeline")
    sns = sns or boto3.client("sns")
    actions, token = [], None
    while True:
        kwargs = {"pipelineName": detail["pipeline"], "filter": {"pipelineExecutionId": detail["execution-id"]}}
        if token:
            kwargs["nextToken"] = token
        page = codepipeline.list_action_executions(**kwargs)
        actions += page.get("actionExecutionDetails", [])
        token = page.get("nextToken")
        if not token:
            break
    subject, body = message(os.environ["PROJECT"], detail["pipeline"], detail["execution-id"], actions, os.environ["VERSION_VARIABLE"])
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Subject=subject, Message=body)
    return body
