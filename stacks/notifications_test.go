package stacks_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// The project's topic is encrypted with the project's key, TLS only, subscribed to by
// the configured addresses, and told of pending versions, the production approval,
// failed executions and the endpoints' alarms.
func TestTheProjectNotifiesItsTopic(t *testing.T) {
	tpl := projectTemplate(t, map[string]any{"notifications.emails": "ml-team@example.com,oncall@example.com"})
	topic := tpl.Named(t, "AWS::SNS::Topic", "TopicName", "sagemaker-abalone-p-abalonedemo1-notifications")
	key := tpl.One(t, "AWS::KMS::Key")
	assert.Equal(t, "${"+key.LogicalID+".Arn}", testutil.Render(topic.Properties["KmsMasterKeyId"]))

	var emails []any
	for _, s := range tpl.Resources("AWS::SNS::Subscription") {
		assert.Equal(t, "email", s.Properties["Protocol"])
		assert.Equal(t, "${"+topic.LogicalID+"}", testutil.Render(s.Properties["TopicArn"]))
		emails = append(emails, s.Properties["Endpoint"])
	}
	assert.ElementsMatch(t, []any{"ml-team@example.com", "oncall@example.com"}, emails)
	assert.Empty(t, defaultTemplate(t).Resources("AWS::SNS::Subscription"), "no one by default")

	policy := map[string]map[string]any{}
	for _, s := range tpl.One(t, "AWS::SNS::TopicPolicy").Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		st := s.(map[string]any)
		policy[st["Sid"].(string)] = st
	}
	assert.Equal(t, "Deny", policy["AllowPublishThroughSSLOnly"]["Effect"])
	assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}, policy["AllowPublishThroughSSLOnly"]["Condition"])
	assert.Equal(t, map[string]any{"Service": "cloudwatch.amazonaws.com"}, policy["PublishEndpointAlarms"]["Principal"])
	assert.Equal(t, "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:abalone-p-abalonedemo1-*",
		testutil.Render(policy["PublishEndpointAlarms"]["Condition"].(map[string]any)["ArnLike"].(map[string]any)["aws:SourceArn"]), "only the project's alarms")

	var keyUse []testutil.Statement
	for _, s := range tpl.AllStatements() {
		if s.Policy == key.LogicalID && s.Sid == "PublishProjectNotifications" {
			keyUse = append(keyUse, s)
		}
	}
	require.Len(t, keyUse, 1)
	assert.ElementsMatch(t, []string{"Service:events.amazonaws.com", "Service:codestar-notifications.amazonaws.com", "Service:cloudwatch.amazonaws.com"}, keyUse[0].Principals)
	assert.ElementsMatch(t, []string{"kms:GenerateDataKey*", "kms:Decrypt"}, keyUse[0].Actions)
	assert.Equal(t, "${AWS::AccountId}", testutil.Render(keyUse[0].Conditions["StringEquals"].(map[string]any)["aws:SourceAccount"]))

	rules := map[string][]any{}
	for _, r := range tpl.Resources("AWS::CodeStarNotifications::NotificationRule") {
		assert.Equal(t, "${"+topic.LogicalID+"}", testutil.Render(testutil.Only(t, r.Properties["Targets"])["TargetAddress"]))
		rules[r.Properties["Name"].(string)] = r.Properties["EventTypeIds"].([]any)
	}
	assert.Equal(t, map[string][]any{
		"sagemaker-abalone-p-abalonedemo1-approval-needed":   {"codepipeline-pipeline-manual-approval-needed"},
		"sagemaker-abalone-p-abalonedemo1-modelbuild-failed": {"codepipeline-pipeline-pipeline-execution-failed"},
	}, rules, "the deploy pipeline's failures go through the function that names the version")

	// The deploy pipeline's failed executions invoke the function, which may read that
	// pipeline's action executions and publish to the topic.
	fn := tpl.Named(t, "AWS::Lambda::Function", "Description", "Notifies project abalone-p-abalonedemo1 of a failed deployment, naming its stage and model version")
	env := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	assert.Equal(t, "DEPLOY_MODEL_PACKAGE_ARN", env["VERSION_VARIABLE"])
	assert.Equal(t, "${"+topic.LogicalID+"}", testutil.Render(env["TOPIC_ARN"]))
	assert.Contains(t, fn.Properties["Code"].(map[string]any)["ZipFile"], "def handler(event, _context")
	var failed testutil.Resource
	for _, r := range tpl.Resources("AWS::Events::Rule") {
		if src, _ := r.Properties["EventPattern"].(map[string]any)["source"].([]any); len(src) == 1 && src[0] == "aws.codepipeline" {
			failed = r
		}
	}
	require.NotEmpty(t, failed.LogicalID)
	pattern := failed.Properties["EventPattern"].(map[string]any)
	assert.Equal(t, []any{"CodePipeline Pipeline Execution State Change"}, pattern["detail-type"])
	assert.Equal(t, map[string]any{"state": []any{"FAILED"}}, pattern["detail"])
	assert.Contains(t, testutil.Render(pattern["resources"].([]any)[0]), "${ModelDeployPipeline")
	role := strings.Trim(strings.TrimSuffix(testutil.Render(fn.Properties["Role"]), ".Arn}"), "${")
	actions := map[string][]string{}
	for _, s := range tpl.RoleStatements(role) {
		for _, a := range s.Actions {
			actions[a] = s.Resources
		}
	}
	assert.Contains(t, actions["codepipeline:ListActionExecutions"][0], "${ModelDeployPipeline")
	assert.Equal(t, []string{"${" + topic.LogicalID + "}"}, actions["sns:Publish"])

	patterns := map[string]any{}
	for _, r := range tpl.Resources("AWS::Events::Rule") {
		target := testutil.Only(t, r.Properties["Targets"])
		if testutil.Render(target["Arn"]) == "${"+topic.LogicalID+"}" {
			pattern := r.Properties["EventPattern"].(map[string]any)
			patterns[pattern["detail-type"].([]any)[0].(string)] = pattern["detail"]
			assert.Contains(t, target["InputTransformer"].(map[string]any)["InputTemplate"], "SageMaker project abalone-p-abalonedemo1: ")
		}
	}
	assert.Equal(t, map[string]any{
		"SageMaker Model Package State Change": map[string]any{"ModelPackageGroupName": []any{"abalone-p-abalonedemo1"}, "ModelApprovalStatus": []any{"PendingManualApproval"}},
		"SageMaker Model Building Pipeline Execution Status Change": map[string]any{
			"pipelineArn": []any{map[string]any{"suffix": "-p-abalonedemo1"}}, "currentPipelineExecutionStatus": []any{"Failed"},
		},
	}, patterns)
}

// The endpoints' alarms tell the project's topic, in the project's account; a stage
// in another account cannot (CloudWatch alarms notify topics of their own account).
func TestEndpointAlarmsNotifyTheProjectsTopicInItsAccount(t *testing.T) {
	staging, prod := endpointTemplates(t, map[string]any{"modelPackageArn": approvedArn})
	for _, tpl := range []testutil.Template{staging, prod} {
		for _, a := range tpl.Resources("AWS::CloudWatch::Alarm") {
			assert.Contains(t, a.Properties["AlarmDescription"], ", serving model version "+approvedArn+")", "the message names the version")
			assert.Equal(t, []any{"arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:sagemaker-abalone-p-abalonedemo1-notifications"},
				[]any{testutil.Render(testutil.Only(t, a.Properties["AlarmActions"]))})
		}
	}
	for _, stage := range []string{"staging", "prod"} {
		for _, a := range multiAccount(t)[stage].Resources("AWS::CloudWatch::Alarm") {
			assert.Nil(t, a.Properties["AlarmActions"], stage)
		}
	}
}
