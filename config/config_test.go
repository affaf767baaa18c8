package config

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestParseEmptyContextGivesTheDemoProject(t *testing.T) {
	cfg, err := Parse(map[string]any{})
	require.NoError(t, err)
	assert.Equal(t, project.Identity{Name: "abalone", ID: "p-abalonedemo1"}, cfg.Project)
	assert.Equal(t, Retain, cfg.RemovalPolicy)
	assert.Equal(t, 90, cfg.LogRetentionDays)
	assert.Equal(t, awslogs.RetentionDays_THREE_MONTHS, cfg.LogRetention())
	assert.Equal(t, "main", cfg.ModelBuild.Branch)
	assert.Equal(t, "ml.m5.xlarge", cfg.ProcessingInstanceType)
	assert.Equal(t, "", cfg.Account, "no account by default: the stack stays environment-agnostic")
	assert.Equal(t, Default(), cfg)
}

func TestParseIgnoresCDKKeysAndAcceptsStringsNumbersAndBooleans(t *testing.T) {
	cfg, err := Parse(map[string]any{
		"@aws-cdk/core:target-partitions":         []any{"aws"},
		"aws:cdk:enable-path-metadata":            true,
		"acknowledged-issue-numbers":              []any{1.0},
		"projectName":                             "churn-model",
		"projectId":                               "p-0a1b2c3d4e5f",
		"logRetentionDays":                        "30", // -c values are strings
		"artifactNoncurrentVersionExpirationDays": 14.0, // cdk.json numbers are float64
		"removalPolicy":                           "destroy",
		"account":                                 "123456789012",
		"region":                                  "eu-west-1",
		"modelBuild.branch":                       "release/v2",
		"trainingInstanceType":                    "ml.c5.2xlarge",
	})
	require.NoError(t, err)
	assert.Equal(t, project.Identity{Name: "churn-model", ID: "p-0a1b2c3d4e5f"}, cfg.Project)
	assert.Equal(t, 30, cfg.LogRetentionDays)
	assert.Equal(t, awslogs.RetentionDays_ONE_MONTH, cfg.LogRetention())
	assert.Equal(t, 14, cfg.NoncurrentVersionExpirationDays)
	assert.Equal(t, Destroy, cfg.RemovalPolicy)
	assert.Equal(t, "123456789012", cfg.Account)
	assert.Equal(t, "eu-west-1", cfg.Region)
	assert.Equal(t, "release/v2", cfg.ModelBuild.Branch)
	assert.Equal(t, "ml.c5.2xlarge", cfg.TrainingInstanceType)
	assert.NoError(t, cfg.Validate())
}

func TestBadValuesNameTheKeyTheValueAndWhatIsAllowed(t *testing.T) {
	cases := []struct {
		key  string
		val  any
		want string
	}{
		{"projectName", "", `projectName "" is invalid: use 1-32 characters, a letter first`},
		{"projectName", "9lives", `projectName "9lives" is invalid: use 1-32 characters, a letter first`},
		{"projectName", "trailing-", `projectName "trailing-" is invalid`},
		{"projectName", "under_score", `projectName "under_score" is invalid`},
		{"projectName", strings.Repeat("a", 33), `projectName "` + strings.Repeat("a", 33) + `" is invalid: use 1-32 characters`},
		{"projectId", "abalonedemo1", `projectId "abalonedemo1" is invalid: use "p-" followed by 1-12 lowercase letters or digits`},
		{"projectId", "p-ABC", `projectId "p-ABC" is invalid: use "p-" followed by 1-12 lowercase letters or digits`},
		{"projectId", "p-abcdefghijklm", `projectId "p-abcdefghijklm" is invalid`},
		{"removalPolicy", "snapshot", `removalPolicy "snapshot" is invalid: must be one of retain, destroy`},
		{"logRetentionDays", "10", `logRetentionDays "10" is invalid: must be one of 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653`},
		{"logRetentionDays", "ninety", `logRetentionDays "ninety" is invalid: must be a whole number`},
		{"logRetentionDays", 1.5, `logRetentionDays "1.5" is invalid: must be a whole number`},
		{"artifactNoncurrentVersionExpirationDays", "0", `artifactNoncurrentVersionExpirationDays "0" is invalid: must be between 1 and 3650`},
		{"processingInstanceType", "m5.xlarge", `processingInstanceType "m5.xlarge" is invalid: must be a SageMaker instance type such as ml.m5.xlarge`},
		{"trainingInstanceType", "ml.m5", `trainingInstanceType "ml.m5" is invalid: must be a SageMaker instance type`},
		{"modelBuild.branch", "feature..x", `modelBuild.branch "feature..x" is invalid: must be a git branch name`},
		{"modelBuild.branch", "-rf", `modelBuild.branch "-rf" is invalid: must be a git branch name`},
		{"modelBuild.branch", "has space", `modelBuild.branch "has space" is invalid`},
		{"account", "12345", `account "12345" is invalid: must be a 12-digit AWS account id`},
		{"region", "moon-base-1x", `region "moon-base-1x" is invalid: must be an AWS region the CDK knows, such as eu-west-1`},
		{"region", "eu-west-9", `region "eu-west-9" is invalid: must be an AWS region the CDK knows`},
		{"staging.account", "1234567890123", `staging.account "1234567890123" is invalid: must be a 12-digit AWS account id`},
		{"prod.account", "12345678901a", `prod.account "12345678901a" is invalid: must be a 12-digit AWS account id`},
		{"prod.region", "mars-north-1", `prod.region "mars-north-1" is invalid: must be an AWS region the CDK knows`},
		{"bootstrapQualifier", "HNB659FDS", `bootstrapQualifier "HNB659FDS" is invalid: must be a CDK bootstrap qualifier`},
		{"requireSeparateStageAccounts", "sometimes", `requireSeparateStageAccounts "sometimes" is invalid: must be true or false`},
		{"projectNmae", "x", `projectNmae is not a known setting: use one of account, artifactNoncurrentVersionExpirationDays,`},
		{"modelDeploy.branch", "a b", `modelDeploy.branch "a b" is invalid: must be a git branch name`},
		{"modelPackageArn", "arn:aws:sagemaker:eu-west-1:111111111111:model-package/group", `modelPackageArn "arn:aws:sagemaker:eu-west-1:111111111111:model-package/group" is invalid: must be the ARN of a versioned model package`},
		{"testGate.invocations", "19", `testGate.invocations "19" is invalid: must be between 20 and 1000`},
		{"testGate.p95LatencyMs", "0", `testGate.p95LatencyMs "0" is invalid: must be between 1 and 60000`},
		{"staging.hosting", "gpu", `staging.hosting "gpu" is invalid: must be one of instance, serverless`},
		{"prod.instanceType", "ml.m5", `prod.instanceType "ml.m5" is invalid: must be a SageMaker instance type such as ml.m5.large`},
		{"prod.instanceCount", "0", `prod.instanceCount "0" is invalid: must be between 1 and 100`},
		{"staging.autoscaling.minCapacity", "0", `staging.autoscaling.minCapacity "0" is invalid: must be between 1 and 100`},
		{"prod.autoscaling.maxCapacity", "101", `prod.autoscaling.maxCapacity "101" is invalid: must be between 0 and 100`},
		{"prod.autoscaling.targetInvocationsPerInstance", "0", `prod.autoscaling.targetInvocationsPerInstance "0" is invalid: must be between 1 and 100000`},
		{"staging.serverless.memorySizeMiB", "1536", `staging.serverless.memorySizeMiB "1536" is invalid: must be one of 1024 2048 3072 4096 5120 6144 MiB`},
		{"staging.serverless.maxConcurrency", "0", `staging.serverless.maxConcurrency "0" is invalid: must be between 1 and 200`},
		{"staging.dataCapture.enabled", "yes please", `staging.dataCapture.enabled "yes please" is invalid: must be true or false`},
		{"staging.dataCapture.samplingPercentage", "101", `staging.dataCapture.samplingPercentage "101" is invalid: must be between 0 and 100`},
		{"prod.dataCapture.samplingPercentage", "-5", `prod.dataCapture.samplingPercentage "-5" is invalid: must be between 0 and 100`},
		{"prod.dataCapture.prefix", "/leading", `prod.dataCapture.prefix "/leading" is invalid: must be an S3 key prefix`},
		{"prod.monitoring.enabled", "sometimes", `prod.monitoring.enabled "sometimes" is invalid: must be true or false`},
		{"prod.monitoring.schedule", "rate(1 hour)", `prod.monitoring.schedule "rate(1 hour)" is invalid: must be a schedule SageMaker Model Monitor runs: hourly "cron(0 * ? * * *)", daily at hour H (0-23, UTC) "cron(0 H ? * * *)", or every N hours (1-24) from hour H "cron(0 H/N ? * * *)"`},
		{"staging.monitoring.schedule", "NOW", `staging.monitoring.schedule "NOW" is invalid: must be a schedule SageMaker Model Monitor runs`},
		{"staging.monitoring.instanceType", "m5.xlarge", `staging.monitoring.instanceType "m5.xlarge" is invalid: must be a SageMaker processing instance type such as ml.m5.xlarge`},
		{"staging.monitoring.maxRuntimeSeconds", "an hour", `staging.monitoring.maxRuntimeSeconds "an hour" is invalid: must be a whole number`},
		{"build.goProxy", "http://goproxy.internal", `build.goProxy "http://goproxy.internal" is invalid: "http://goproxy.internal" must be the https:// URL of a Go module proxy, or direct`},
		{"build.pipIndexUrl", "pypi.internal/simple", `build.pipIndexUrl "pypi.internal/simple" is invalid: must be the https:// URL of a Python package index`},
		{"projectName", map[string]any{"a": 1.0}, `projectName "map[a:1]" is invalid: must be a string, a number or a boolean, not map[string]interface {}`},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+strings.ReplaceAll(strings.ReplaceAll(fmtValue(tc.val), "/", "_"), " ", "_"), func(t *testing.T) {
			_, err := Parse(map[string]any{tc.key: tc.val})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "invalid configuration:\n  "), err.Error())
		})
	}
}

func TestMain(m *testing.M) { testutil.Main(m) }

func TestStageTargetsAndAccounts(t *testing.T) {
	single := Default()
	assert.True(t, single.StageTarget("staging").IsLocal())
	assert.True(t, single.StageTarget("prod").IsLocal())
	assert.Empty(t, single.StageAccounts())

	cfg, err := Parse(map[string]any{
		"account": "111111111111", "region": "eu-west-1",
		"staging.account": "222222222222", "prod.account": "333333333333", "prod.region": "eu-west-1",
	})
	require.NoError(t, err)
	assert.Equal(t, project.Target{Account: "222222222222", Region: "eu-west-1"}, cfg.StageTarget("staging"), "a stage region defaults to the project's")
	assert.Equal(t, project.Target{Account: "333333333333", Region: "eu-west-1"}, cfg.StageTarget("prod"))
	assert.Equal(t, []string{"222222222222", "333333333333"}, cfg.StageAccounts())

	shared, err := Parse(map[string]any{
		"account": "111111111111", "region": "eu-west-1", "staging.account": "222222222222", "prod.account": "222222222222",
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"222222222222"}, shared.StageAccounts(), "a shared stage account appears once")

	local, err := Parse(map[string]any{"account": "111111111111", "region": "eu-west-1", "staging.account": "111111111111"})
	require.NoError(t, err)
	assert.True(t, local.StageTarget("staging").IsLocal(), "a stage in the project's own account and region is local")
	assert.Empty(t, local.StageAccounts())
}

func TestMultiAccountRules(t *testing.T) {
	cases := []struct {
		context map[string]any
		want    string
	}{
		{map[string]any{"staging.account": "222222222222"},
			`staging.account "222222222222" / staging.region "" need the project's own account and region: set account and region too`},
		{map[string]any{"prod.region": "us-east-1"},
			`prod.account "" / prod.region "us-east-1" need the project's own account and region`},
		{map[string]any{"account": "111111111111", "region": "eu-west-1", "prod.account": "333333333333", "prod.region": "us-east-1"},
			`prod.region "us-east-1" differs from region "eu-west-1": SageMaker creates a model only from a model package and artifacts in its own region`},
		{map[string]any{"account": "111111111111", "region": "eu-west-1", "requireSeparateStageAccounts": "true", "staging.account": "222222222222"},
			`requireSeparateStageAccounts is true but staging.account "222222222222" or prod.account "" is not set`},
		{map[string]any{"account": "111111111111", "region": "eu-west-1", "requireSeparateStageAccounts": true, "staging.account": "222222222222", "prod.account": "222222222222"},
			`staging.account "222222222222" equals prod.account while requireSeparateStageAccounts is true`},
		{map[string]any{"account": "111111111111", "region": "eu-west-1", "requireSeparateStageAccounts": true, "staging.account": "111111111111", "prod.account": "333333333333"},
			`a stage account equals the project account "111111111111" while requireSeparateStageAccounts is true`},
	}
	for _, tc := range cases {
		_, err := Parse(tc.context)
		require.Error(t, err, tc.context)
		assert.Contains(t, err.Error(), tc.want)
	}
	_, err := Parse(map[string]any{"account": "111111111111", "region": "eu-west-1", "requireSeparateStageAccounts": true, "staging.account": "222222222222", "prod.account": "333333333333"})
	assert.NoError(t, err)
}

// The Studio templates are the platform's (a stack and a bucket of fixed names per
// account and region): a project synthesizes them only when asked, and a domain to tag
// or a stage elsewhere with them is refused.
func TestStudioIsOptInAndKeepsTheStagesInTheProjectsAccount(t *testing.T) {
	cfg, err := Parse(map[string]any{})
	require.NoError(t, err)
	assert.False(t, cfg.Studio.Enabled, "off by default")
	cfg, err = Parse(map[string]any{"studio.enabled": "true", "studio.domainId": "d-abc123"})
	require.NoError(t, err)
	assert.Equal(t, Studio{Enabled: true, DomainID: "d-abc123"}, cfg.Studio)
	for _, tc := range []struct {
		context map[string]any
		want    string
	}{
		{map[string]any{"studio.domainId": "d-abc123"},
			`studio.domainId "d-abc123" is set while studio.enabled is false: the domain is tagged by the StudioTemplates stack, which only studio.enabled=true synthesizes; set studio.enabled to true, or leave studio.domainId unset`},
		{map[string]any{"studio.enabled": true, "account": "111111111111", "region": "eu-west-1", "staging.account": "222222222222"},
			`staging.account "222222222222" is another account than the project's while studio.enabled is true`},
	} {
		_, err := Parse(tc.context)
		require.Error(t, err, tc.context)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestRepositoryRules(t *testing.T) {
	const arn = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d"
	cases := []struct {
		context map[string]any
		want    string
	}{
		{map[string]any{"modelBuild.source": "github"}, `modelBuild.source "github" is invalid: must be one of codecommit, connection`},
		{map[string]any{"modelBuild.source": "connection", "modelBuild.repository": "org/repo"},
			`modelBuild.connectionArn is required when modelBuild.source is connection`},
		{map[string]any{"modelDeploy.source": "connection", "modelDeploy.connectionArn": arn},
			`modelDeploy.repository is required when modelDeploy.source is connection: give the repository's full name, owner/repo`},
		{map[string]any{"modelBuild.connectionArn": arn},
			`modelBuild.connectionArn "` + arn + `" is set but modelBuild.source is codecommit: set modelBuild.source to connection`},
		{map[string]any{"modelBuild.connectionArn": "arn:aws:codestar:eu-west-1:111111111111:connection/x"},
			`modelBuild.connectionArn "arn:aws:codestar:eu-west-1:111111111111:connection/x" is invalid: must be a CodeConnections connection ARN`},
		{map[string]any{"modelBuild.repository": "just-a-name"}, `modelBuild.repository "just-a-name" is invalid: must be the repository's full name, owner/repo`},
		{map[string]any{"modelBuild.repository": "org/.."}, `modelBuild.repository "org/.." is invalid: must be the repository's full name, owner/repo`},
		{map[string]any{"modelDeploy.repository": "./repo"}, `modelDeploy.repository "./repo" is invalid: must be the repository's full name, owner/repo`},
		{map[string]any{"modelDeploy.url": "http://github.com/o/r.git"}, `modelDeploy.url "http://github.com/o/r.git" is invalid: must be the repository's https:// clone URL`},
		{map[string]any{"modelDeploy.seedCode": "maybe"}, `modelDeploy.seedCode "maybe" is invalid: must be true or false`},
	}
	for _, tc := range cases {
		_, err := Parse(tc.context)
		require.Error(t, err, tc.context)
		assert.Contains(t, err.Error(), tc.want)
	}
	cfg, err := Parse(map[string]any{
		"modelBuild.source": "connection", "modelBuild.connectionArn": arn, "modelBuild.repository": "group/sub/.github",
		"modelDeploy.source": "connection", "modelDeploy.connectionArn": strings.Replace(arn, "codeconnections", "codestar-connections", 1),
		"modelDeploy.repository": "org/deploy", "modelDeploy.url": "https://gitlab.example.com/org/deploy.git", "modelDeploy.seedCode": false,
	})
	require.NoError(t, err)
	assert.Equal(t, "https://github.com/group/sub/.github.git", cfg.ModelBuild.CloneURL())
	assert.Equal(t, "https://gitlab.example.com/org/deploy.git", cfg.ModelDeploy.CloneURL())
	assert.False(t, cfg.ModelDeploy.SeedCode)
	assert.True(t, cfg.ModelBuild.SeedCode)
}

func TestCrossFieldRules(t *testing.T) {
	_, err := Parse(map[string]any{"account": "123456789012"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `account "123456789012" and region "" must be set together or not at all`)
}

func TestStageRulesThatInvolveSeveralKeys(t *testing.T) {
	cases := []struct {
		context map[string]any
		want    string
	}{
		{map[string]any{"staging.hosting": "serverless"},
			`staging.hosting "serverless" with staging.dataCapture.enabled true is invalid: SageMaker serverless endpoints cannot capture data`},
		{map[string]any{"prod.hosting": "serverless", "prod.dataCapture.enabled": false, "prod.networkIsolation": "true"},
			`prod.hosting "serverless" with prod.networkIsolation true is invalid: SageMaker serverless endpoints do not support network isolation; set prod.networkIsolation to false or use instance hosting`},
		{map[string]any{"staging.networkIsolation": "sometimes"}, `staging.networkIsolation "sometimes" is invalid`},
		{map[string]any{"prod.hosting": "serverless", "prod.dataCapture.enabled": false, "prod.autoscaling.maxCapacity": 3.0},
			`prod.hosting "serverless" with prod.autoscaling.maxCapacity 3 is invalid: serverless endpoints scale by themselves`},
		{map[string]any{"prod.autoscaling.minCapacity": "4", "prod.autoscaling.maxCapacity": "2"},
			`prod.autoscaling is invalid: maximum capacity 2 must be at least the minimum capacity 4`},
		{map[string]any{"staging.instanceCount": "5", "staging.autoscaling.maxCapacity": "3"},
			`staging.autoscaling is invalid: initial instance count 5 must be between the minimum 1 and maximum 3 capacity`},
		// Deployment guardrails: every key, and every combination SageMaker rejects.
		{map[string]any{"prod.deployment.strategy": "blueGreen"},
			`prod.deployment.strategy "blueGreen" is invalid: must be one of auto, allAtOnce, canary, linear`},
		{map[string]any{"prod.deployment.bakeSeconds": "3601"}, `prod.deployment.bakeSeconds "3601" is invalid: must be between 0 and 3600`},
		{map[string]any{"prod.deployment.bakeSeconds": "ten"}, `prod.deployment.bakeSeconds "ten" is invalid: must be a whole number`},
		{map[string]any{"staging.deployment.terminationWaitSeconds": "-1"}, `staging.deployment.terminationWaitSeconds "-1" is invalid: must be between 0 and 3600`},
		{map[string]any{"prod.deployment.alarm5xxErrors": "-3"}, `prod.deployment.alarm5xxErrors "-3" is invalid: must be between 0 and 100000`},
		{map[string]any{"prod.deployment.alarmModelLatencyMs": "90000"}, `prod.deployment.alarmModelLatencyMs "90000" is invalid: must be between 0 and 60000`},
		{map[string]any{"prod.deployment.canaryInstances": "-1"}, `prod.deployment.canaryInstances "-1" is invalid: must be between 0 and 100`},
		{map[string]any{"prod.deployment.linearStepInstances": "101"}, `prod.deployment.linearStepInstances "101" is invalid: must be between 0 and 100`},
		{map[string]any{"prod.deployment.strategy": "canary"},
			`prod.deployment.canaryInstances "1" is invalid: must be at most 50 % of the variant's fewest instances (1): none with fewer than 2 instances, use allAtOnce or more instances`},
		{map[string]any{"prod.deployment.strategy": "canary", "prod.instanceCount": "3", "prod.deployment.canaryInstances": "2"},
			`prod.deployment.canaryInstances "2" is invalid: must be at most 50 % of the variant's fewest instances (3): 1 to 1`},
		{map[string]any{"prod.deployment.strategy": "linear", "prod.instanceCount": "2", "prod.autoscaling.minCapacity": "2", "prod.autoscaling.maxCapacity": "12"},
			`prod.deployment.linearStepInstances "1" is invalid: must be 10 % to 50 % of the variant's instances (2 to 12): none for 2 to 12 instances, use canary or allAtOnce, or narrow the autoscaling bounds`},
		{map[string]any{"staging.hosting": "serverless", "staging.dataCapture.enabled": "false", "staging.deployment.strategy": "linear"},
			`staging.deployment.strategy "linear" is invalid: shifts traffic by instances, and a serverless endpoint has none: use allAtOnce or auto`},
		{map[string]any{"prod.instanceType": "ml.inf1.xlarge", "prod.instanceCount": "2", "prod.deployment.strategy": "canary"},
			`prod.deployment.strategy "canary" is invalid: is ignored by SageMaker on Inf1 instances (ml.inf1.xlarge)`},
		{map[string]any{"prod.deployment.maxExecutionSeconds": "28801"},
			`prod.deployment.maxExecutionSeconds "28801" is invalid: must be between 600 and 28800, or 0 for the waits plus 1800`},
		// Monitoring: it reads captured data, and a run ends before the next starts.
		{map[string]any{"prod.dataCapture.enabled": "false", "prod.monitoring.enabled": "true"},
			`prod.monitoring.enabled "true" with prod.dataCapture.enabled false is invalid: monitoring reads the endpoint's captured data; set prod.dataCapture.enabled to true, or prod.monitoring.enabled to false`},
		{map[string]any{"staging.monitoring.maxRuntimeSeconds": "3601"},
			`staging.monitoring.maxRuntimeSeconds "3601" is invalid: must be 60 to 3600 seconds for the schedule "cron(0 * ? * * *)": a run must end before the next one starts`},
		{map[string]any{"prod.monitoring.schedule": "cron(0 0/2 ? * * *)", "prod.monitoring.maxRuntimeSeconds": "7201"},
			`prod.monitoring.maxRuntimeSeconds "7201" is invalid: must be 60 to 7200 seconds for the schedule "cron(0 0/2 ? * * *)"`},
		{map[string]any{"prod.deployment.maxExecutionSeconds": "600", "prod.deployment.terminationWaitSeconds": "60"},
			`prod.deployment.maxExecutionSeconds "600" is invalid: must be longer than the update's waits, 660 s (1 × 600 s of bake and 60 s of termination wait)`},
	}
	for _, tc := range cases {
		_, err := Parse(tc.context)
		require.Error(t, err, tc.context)
		assert.Contains(t, err.Error(), tc.want)
	}
	cfg, err := Parse(map[string]any{"staging.hosting": "serverless", "staging.dataCapture.enabled": "false"})
	require.NoError(t, err)
	instance, serverless, capture := cfg.Staging.EndpointHosting()
	assert.Nil(t, instance)
	assert.Nil(t, capture)
	assert.Equal(t, 2048, serverless.MemorySizeMiB)
	assert.False(t, cfg.Staging.NetworkIsolation, "off by default where the hosting does not support it")
	assert.True(t, cfg.Prod.NetworkIsolation)

	open, err := Parse(map[string]any{"prod.networkIsolation": "false"})
	require.NoError(t, err)
	instance, _, _ = open.Prod.EndpointHosting()
	assert.True(t, instance.NetworkAccess, "a model that needs the network")
	instance, _, _ = open.Staging.EndpointHosting()
	assert.False(t, instance.NetworkAccess)
}

func TestStageDefaultsAreTheOriginals(t *testing.T) {
	cfg := Default()
	for name, st := range map[string]Stage{"staging": cfg.Staging, "prod": cfg.Prod} {
		assert.Equal(t, Instances, st.Hosting, name)
		assert.Equal(t, "ml.m5.large", st.InstanceType, name)
		assert.Equal(t, 1, st.InstanceCount, name)
		assert.Equal(t, 0, st.AutoscalingMaxCapacity, name)
		assert.True(t, st.DataCapture, name)
		assert.Equal(t, "datacapture-"+name, st.DataCapturePrefix)
		assert.True(t, st.NetworkIsolation, "%s: model containers run network-isolated", name)
	}
	assert.Equal(t, 100, cfg.Staging.DataCaptureSamplingPercentage)
	assert.Equal(t, 80, cfg.Prod.DataCaptureSamplingPercentage)
}

func TestMonitoringIsOnWhereDataCaptureIsOnUnlessTurnedOff(t *testing.T) {
	cfg := Default()
	for name, st := range map[string]Stage{"staging": cfg.Staging, "prod": cfg.Prod} {
		assert.Equal(t, Monitoring{Enabled: true, Schedule: "cron(0 * ? * * *)", InstanceType: "ml.m5.xlarge", MaxRuntimeSeconds: 3600}, st.Monitoring, name)
	}
	cfg, err := Parse(map[string]any{"staging.hosting": "serverless", "staging.dataCapture.enabled": "false", "prod.monitoring.enabled": "false"})
	require.NoError(t, err)
	assert.False(t, cfg.Staging.Monitoring.Enabled, "no capture, no monitoring, without saying so")
	assert.False(t, cfg.Prod.Monitoring.Enabled, "turned off")
	st, err := ParseStage(project.Identity{Name: "churn", ID: "p-0a1b2c3d4e5f"}, "prod", map[string]any{
		"monitoring.schedule": "cron(0 3 ? * * *)", "monitoring.maxRuntimeSeconds": 14400.0, "monitoring.instanceType": "ml.c5.xlarge",
	})
	require.NoError(t, err)
	assert.Equal(t, Monitoring{Enabled: true, Schedule: "cron(0 3 ? * * *)", InstanceType: "ml.c5.xlarge", MaxRuntimeSeconds: 14400}, st.Monitoring)
	st, err = ParseStage(project.Identity{Name: "churn", ID: "p-0a1b2c3d4e5f"}, "staging", map[string]any{"dataCapture.enabled": false})
	require.NoError(t, err)
	assert.False(t, st.Monitoring.Enabled, "the stage files follow the same rule")
}

func TestDeploymentDefaultsBakeProdAndLetTheTestGateDecideStaging(t *testing.T) {
	cfg := Default()
	assert.Equal(t, endpoint.DefaultDeployment(), cfg.Prod.Deployment)
	assert.Equal(t, endpoint.Auto, cfg.Prod.Deployment.Strategy)
	assert.Equal(t, 600, cfg.Prod.Deployment.BakeSeconds)
	assert.Equal(t, 0, cfg.Staging.Deployment.BakeSeconds, "the test gate judges staging")
	assert.Equal(t, endpoint.Auto, cfg.Staging.Deployment.Strategy)

	st, err := ParseStage(project.Identity{Name: "churn", ID: "p-0a1b2c3d4e5f"}, "prod", map[string]any{
		"instanceCount": 4.0, "deployment.strategy": "linear", "deployment.bakeSeconds": 120.0, "deployment.alarmModelLatencyMs": 300.0,
	})
	require.NoError(t, err)
	d := st.EndpointDeployment()
	assert.Equal(t, endpoint.Linear, d.Strategy)
	assert.Equal(t, 120, d.BakeSeconds)
	assert.Equal(t, 300, d.AlarmModelLatencyMs)
	assert.Equal(t, 1, d.Alarm5xxErrors, "the other keys keep their defaults")
}

func TestParseStageReadsADeployRepositoryStageFile(t *testing.T) {
	p := project.Identity{Name: "churn", ID: "p-0a1b2c3d4e5f"}
	st, err := ParseStage(p, "prod", map[string]any{"instanceCount": 3.0, "dataCapture.samplingPercentage": 50.0})
	require.NoError(t, err)
	assert.Equal(t, 3, st.InstanceCount)
	assert.Equal(t, 50, st.DataCaptureSamplingPercentage)
	assert.Equal(t, "datacapture-prod", st.DataCapturePrefix)

	_, err = ParseStage(p, "prod", map[string]any{"instanceCount": 0.0})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `prod.instanceCount "0" is invalid: must be between 1 and 100`)
	_, err = ParseStage(p, "prod", map[string]any{"instanceCont": 2.0})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `prod.instanceCont is not a known setting`)
	_, err = ParseStage(p, "qa", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stage "qa" is invalid: must be staging or prod`)
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, err := Parse(map[string]any{"projectName": "1x", "removalPolicy": "keep", "logRetentionDays": "2"})
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	assert.Len(t, lines, 4, err.Error())
}

func TestValidateAppliesTheSameRulesToConfigsBuiltInCode(t *testing.T) {
	cfg := Default()
	cfg.Project.Name = "bad name"
	cfg.LogRetentionDays = 2
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `projectName "bad name" is invalid`)
	assert.Contains(t, err.Error(), `logRetentionDays "2" is invalid`)
	assert.NoError(t, Default().Validate())
}

func TestKeysAreSortedAndUnique(t *testing.T) {
	keys := Keys()
	assert.IsIncreasing(t, keys)
	assert.Len(t, fieldsByKey, len(fields), "duplicate key in the fields table")
}

func fmtValue(v any) string {
	s, err := scalar(v)
	if err != nil {
		return "non-scalar"
	}
	return s
}

// Only the deploy pipeline's stages have settings: asking for another is a
// programming error, not a silent fallback to staging.
func TestStageRefusesAStageWithoutSettings(t *testing.T) {
	cfg := Default()
	assert.Equal(t, cfg.Prod, cfg.Stage(project.Prod))
	assert.PanicsWithValue(t, `config: no settings for stage "qa": the deploy pipeline's stages are staging and prod`, func() { cfg.Stage("qa") })
}

func TestNotificationEmailsAreAListOfAddresses(t *testing.T) {
	cfg, err := Parse(map[string]any{"notifications.emails": " ml-team@example.com, oncall@example.com ,"})
	require.NoError(t, err)
	assert.Equal(t, []string{"ml-team@example.com", "oncall@example.com"}, cfg.NotificationEmails)
	assert.Empty(t, Default().NotificationEmails, "no one is subscribed by default")
	for value, want := range map[string]string{
		"ml-team":                      `notifications.emails "ml-team" is invalid: "ml-team" is not an email address: give addresses such as ml-team@example.com, separated by commas`,
		"a@example.com;b@example.com":  `notifications.emails "a@example.com;b@example.com" is invalid: "a@example.com;b@example.com" is not an email address`,
		"a@example.com, a@example.com": `notifications.emails "a@example.com, a@example.com" is invalid: "a@example.com" is listed twice`,
	} {
		_, err := Parse(map[string]any{"notifications.emails": value})
		if assert.Error(t, err, value) {
			assert.Contains(t, err.Error(), want)
		}
	}
}

// The VPC keys: ids of the right kind, two subnets or more, subnets only with their
// VPC, and a VPC for every endpoint of a project in one.
func TestNetworkKeys(t *testing.T) {
	const vpc, a, b = "vpc-0a1b2c3d4e5f67890", "subnet-0a1b2c3d4e5f67890", "subnet-1a2b3c4d5e6f78901"
	for _, tc := range []struct {
		context map[string]any
		want    string
	}{
		{map[string]any{"vpc.id": "vpc-123"}, `vpc.id "vpc-123" is invalid: must be a VPC id: vpc- and 8 or 17 hexadecimal digits`},
		{map[string]any{"vpc.id": "subnet-0a1b2c3d"}, `vpc.id "subnet-0a1b2c3d" is invalid: must be a VPC id`},
		{map[string]any{"vpc.id": vpc, "vpc.subnetIds": "sg-0a1b2c3d," + b},
			`vpc.subnetIds "sg-0a1b2c3d,` + b + `" is invalid: "sg-0a1b2c3d" must be a subnet id: subnet- and 8 or 17 hexadecimal digits`},
		{map[string]any{"vpc.id": vpc, "vpc.subnetIds": a},
			`vpc.subnetIds "` + a + `" is invalid: must be 2 to 16 different subnets, in different Availability Zones (SageMaker recommends endpoints in two or more), separated by commas`},
		{map[string]any{"vpc.id": vpc, "vpc.subnetIds": a + "," + a}, `vpc.subnetIds "` + a + "," + a + `" is invalid: names "` + a + `" twice`},
		{map[string]any{"vpc.id": vpc}, `vpc.subnetIds "" is invalid: must be 2 to 16 different subnets`},
		{map[string]any{"vpc.subnetIds": a + "," + b},
			`vpc.subnetIds "` + a + "," + b + `" and vpc.securityGroupIds "" without vpc.id are invalid: set vpc.id to the VPC they belong to`},
		{map[string]any{"vpc.id": vpc, "vpc.subnetIds": a + "," + b, "vpc.securityGroupIds": "subnet-0a1b2c3d"},
			`vpc.securityGroupIds "subnet-0a1b2c3d" is invalid: "subnet-0a1b2c3d" must be a security group id: sg- and 8 or 17 hexadecimal digits`},
		{map[string]any{"vpc.id": vpc, "vpc.subnetIds": a + "," + b, "vpc.securityGroupIds": "sg-00000001,sg-00000002,sg-00000003,sg-00000004,sg-00000005,sg-00000006"},
			`is invalid: must be at most 5 security groups`},
		{map[string]any{"prod.vpc.subnetIds": a + "," + b}, `prod.vpc.subnetIds "` + a + "," + b + `" and prod.vpc.securityGroupIds "" without prod.vpc.id are invalid`},
		{map[string]any{"vpc.id": vpc, "vpc.subnetIds": a + "," + b, "staging.hosting": "serverless", "staging.dataCapture.enabled": "false"},
			`staging.hosting "serverless" in VPC "` + vpc + `" (staging.vpc.id, or vpc.id for a stage in the project's account) is invalid: SageMaker serverless endpoints do not run in a VPC, and a project in one runs every endpoint there; use instance hosting`},
		{map[string]any{"account": "111111111111", "region": "eu-west-1", "prod.account": "333333333333", "vpc.id": vpc, "vpc.subnetIds": a + "," + b},
			`prod deploys to account "333333333333", region "eu-west-1", with vpc.id "` + vpc + `" and no prod.vpc.id: this is invalid: the project runs in a VPC, and a stage elsewhere needs subnets of its own account and region: set prod.vpc.id and prod.vpc.subnetIds`},
	} {
		_, err := Parse(tc.context)
		require.Error(t, err, tc.context)
		assert.Contains(t, err.Error(), tc.want, tc.context)
	}

	cfg, err := Parse(map[string]any{
		"account": "111111111111", "region": "eu-west-1", "prod.account": "333333333333",
		"vpc.id": vpc, "vpc.subnetIds": a + ", " + b,
		"prod.vpc.id": "vpc-0f0e0d0c0b0a09080", "prod.vpc.subnetIds": "subnet-0f0e0d0c,subnet-0f0e0d0d", "prod.vpc.securityGroupIds": "sg-0f0e0d0c",
	})
	require.NoError(t, err)
	assert.Equal(t, network.Placement{VpcID: vpc, SubnetIDs: []string{a, b}}, cfg.StageNetwork(project.Staging), "a stage in the project's account runs in the project's VPC")
	assert.Equal(t, network.Placement{VpcID: "vpc-0f0e0d0c0b0a09080", SubnetIDs: []string{"subnet-0f0e0d0c", "subnet-0f0e0d0d"}, SecurityGroupIDs: []string{"sg-0f0e0d0c"}}, cfg.StageNetwork(project.Prod))
	assert.False(t, Default().StageNetwork(project.Prod).IsSet(), "no VPC unless asked for")

	_, err = ParseStage(Default().Project, project.Staging, map[string]any{"vpc.id": vpc})
	require.EqualError(t, err, `vpc.id "`+vpc+`" is the project's, not the stage file's: the project's staging.vpc.id key (or vpc.*) places the endpoint, and reaches the build from the project`)
}
