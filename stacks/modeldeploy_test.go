package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func deployPipeline(t *testing.T, tpl testutil.Template) testutil.Resource {
	return tpl.Named(t, "AWS::CodePipeline::Pipeline", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy")
}

// action is one pipeline action, flattened for assertions.
type action struct {
	stage, name, provider string
	runOrder              float64
	config                map[string]any
	inputs, outputs       []string
	roleArn               string
}

func actions(t *testing.T, pipeline testutil.Resource) []action {
	t.Helper()
	var out []action
	for _, st := range pipeline.Properties["Stages"].([]any) {
		stage := st.(map[string]any)
		for _, a := range stage["Actions"].([]any) {
			am := a.(map[string]any)
			act := action{
				stage:    stage["Name"].(string),
				name:     am["Name"].(string),
				provider: am["ActionTypeId"].(map[string]any)["Provider"].(string),
				runOrder: am["RunOrder"].(float64),
				roleArn:  testutil.Render(am["RoleArn"]),
			}
			act.config, _ = am["Configuration"].(map[string]any)
			for _, in := range toList(am["InputArtifacts"]) {
				act.inputs = append(act.inputs, in.(map[string]any)["Name"].(string))
			}
			for _, o := range toList(am["OutputArtifacts"]) {
				act.outputs = append(act.outputs, o.(map[string]any)["Name"].(string))
			}
			out = append(out, act)
		}
	}
	return out
}

func TestDeployPipelineBuildsDeploysStagingTestsApprovesThenDeploysProd(t *testing.T) {
	tpl := defaultTemplate(t)
	pipeline := deployPipeline(t, tpl)
	assert.Equal(t, "V2", pipeline.Properties["PipelineType"])
	acts := actions(t, pipeline)
	var order []string
	for _, a := range acts {
		order = append(order, a.stage+"/"+a.name+"/"+a.provider)
	}
	assert.Equal(t, []string{
		"Source/Source/CodeCommit",
		"Build/BuildEndpointStacks/CodeBuild",
		"DeployStaging/Deploy/CloudFormation",
		"DeployStaging/TestStaging/CodeBuild",
		"DeployStaging/ApproveDeployment/Manual",
		"DeployProd/Deploy/CloudFormation",
	}, order)
	require.Len(t, acts, 6)
	assert.Equal(t, []float64{1, 1, 1, 2, 3, 1}, []float64{acts[0].runOrder, acts[1].runOrder, acts[2].runOrder, acts[3].runOrder, acts[4].runOrder, acts[5].runOrder},
		"within DeployStaging: deploy, then test, then approval")

	assert.Equal(t, "main", acts[0].config["BranchName"])
	assert.Equal(t, false, acts[0].config["PollForSourceChanges"])
	assert.Equal(t, []string{"EndpointStacks"}, acts[1].outputs)
	assert.Equal(t, []string{"ModelDeploySource", "EndpointStacks"}, acts[3].inputs, "the test gate runs from the source with the program the Build stage compiled")

	staging, prod := acts[2], acts[5]
	assert.Equal(t, "sagemaker-abalone-p-abalonedemo1-deploy-staging", staging.config["StackName"])
	assert.Equal(t, "EndpointStacks::Staging.template.json", staging.config["TemplatePath"])
	assert.Equal(t, "sagemaker-abalone-p-abalonedemo1-deploy-prod", prod.config["StackName"])
	assert.Equal(t, "EndpointStacks::Prod.template.json", prod.config["TemplatePath"])
	assert.Equal(t, "REPLACE_ON_FAILURE", staging.config["ActionMode"], "a failed staging stack is replaced")
	assert.Equal(t, "CREATE_UPDATE", prod.config["ActionMode"], "the pipeline never deletes production")
	for _, a := range []action{staging, prod} {
		assert.Equal(t, "CAPABILITY_IAM", a.config["Capabilities"])
		assert.Equal(t, "${"+deploymentRole(t, tpl)+".Arn}", testutil.Render(a.config["RoleArn"]))
	}

	test := acts[3]
	testProject := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-testing")
	assert.Equal(t, "${"+testProject.LogicalID+"}", testutil.Render(test.config["ProjectName"]))
	assert.Equal(t, []string{"ModelDeploySource", "EndpointStacks"}, test.inputs)
	assert.Equal(t, []string{"StagingTestReport"}, test.outputs, "the test report is kept as a pipeline artifact")
	assert.Contains(t, acts[4].config["CustomData"], "Approve this model for Production")
}

func deploymentRole(t *testing.T, tpl testutil.Template) string {
	t.Helper()
	for _, r := range tpl.Resources("AWS::IAM::Role") {
		for _, s := range tpl.AllStatements() {
			if s.Policy == r.LogicalID && s.HasAction("sts:AssumeRole") && len(s.Principals) == 1 && s.Principals[0] == "Service:cloudformation.amazonaws.com" {
				return r.LogicalID
			}
		}
	}
	t.Fatal("no role assumed by CloudFormation")
	return ""
}

// An approval or a rejection of a version of this group starts the deploy pipeline
// (its build decides what, if anything, to deploy); pending versions and other groups
// never do.
func TestOnlyAnApprovalDecisionInThisGroupStartsTheDeployPipeline(t *testing.T) {
	tpl := defaultTemplate(t)
	pipeline := deployPipeline(t, tpl)
	var rules []testutil.Resource
	for _, r := range tpl.Resources("AWS::Events::Rule") {
		pattern := r.Properties["EventPattern"].(map[string]any)
		target := testutil.Only(t, r.Properties["Targets"])
		if src, _ := pattern["source"].([]any); len(src) == 1 && src[0] == "aws.sagemaker" && strings.HasSuffix(testutil.Render(target["Arn"]), ":${"+pipeline.LogicalID+"}") {
			rules = append(rules, r)
		}
	}
	require.Len(t, rules, 1)
	pattern := rules[0].Properties["EventPattern"].(map[string]any)
	assert.Equal(t, map[string]any{
		"source":      []any{"aws.sagemaker"},
		"detail-type": []any{"SageMaker Model Package State Change"},
		"detail": map[string]any{
			"ModelPackageGroupName": []any{"abalone-p-abalonedemo1"},
			"ModelApprovalStatus":   []any{"Approved", "Rejected"},
		},
	}, pattern, "pending versions and other groups never match")
	target := testutil.Only(t, rules[0].Properties["Targets"])
	assert.True(t, strings.HasSuffix(testutil.Render(target["Arn"]), ":${"+pipeline.LogicalID+"}"))

	deployRepo := tpl.Named(t, "AWS::CodeCommit::Repository", "RepositoryName", "sagemaker-abalone-p-abalonedemo1-modeldeploy")
	push := pushRule(t, tpl, deployRepo.LogicalID)
	assert.Equal(t, []any{"main"}, push.Properties["EventPattern"].(map[string]any)["detail"].(map[string]any)["referenceName"])
	pushTarget := testutil.Only(t, push.Properties["Targets"])
	assert.True(t, strings.HasSuffix(testutil.Render(pushTarget["Arn"]), ":${"+pipeline.LogicalID+"}"))
}

func TestDeployBuildsKeepWhatTheyCompileAndResolveFromTheGroup(t *testing.T) {
	tpl := defaultTemplate(t)
	bucket := tpl.Named(t, "AWS::S3::Bucket", "BucketName", "sagemaker-project-p-abalonedemo1").LogicalID
	for name, buildspec := range map[string]string{
		"sagemaker-abalone-p-abalonedemo1-modeldeploy": "buildspec.yml",
		"sagemaker-abalone-p-abalonedemo1-testing":     "test-buildspec.yml",
	} {
		p := tpl.Named(t, "AWS::CodeBuild::Project", "Name", name).Properties
		assert.Equal(t, buildspec, p["Source"].(map[string]any)["BuildSpec"], name)
		assert.Equal(t, map[string]any{"Type": "NO_CACHE"}, p["Cache"], "%s: no CodeBuild cache moves Go's caches in every build", name)
		assert.Equal(t, 30.0, p["TimeoutInMinutes"], name)
	}
	buildProject := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy").Properties
	build := envVars(buildProject)
	store := "s3://${" + bucket + "}/codebuild-cache/sagemaker-abalone-p-abalonedemo1-modeldeploy/"
	assert.Equal(t, store+"compiled/", build["BUILD_STORE"])
	assert.Equal(t, store+"go-cache/", build["GO_CACHE_STORE"])
	assert.Equal(t, "/root/.cache/go-mod", build["GOMODCACHE"])
	assert.Equal(t, "/root/.cache/go-build", build["GOCACHE"])
	assert.Equal(t, "abalone-p-abalonedemo1", build["SOURCE_MODEL_PACKAGE_GROUP_NAME"])
	assert.NotContains(t, build, "STAGING_CAPTURE_PREFIX", "a local stage's model role is granted its own prefix by the endpoint stack")
	test := envVars(tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-testing").Properties)
	assert.Equal(t, "abalone-p-abalonedemo1-staging", test["ENDPOINT_NAME"])
	assert.Equal(t, "20", test["TEST_INVOCATIONS"])
	assert.Equal(t, "500", test["TEST_P95_LATENCY_MS"])
	assert.NotContains(t, test, "GOCACHE", "the test gate compiles nothing")

	// The build reads, writes and lists its own prefix only: listing tells a missing
	// compiled program (compile) from one it may not read.
	role := strings.TrimSuffix(strings.TrimPrefix(testutil.Render(buildProject["ServiceRole"]), "${"), ".Arn}")
	var listed []any
	for _, st := range tpl.RoleStatements(role) {
		if st.HasAction("s3:ListBucket") && slices.Contains(st.Resources, "${"+bucket+".Arn}") {
			listed = append(listed, st.Conditions)
		}
	}
	assert.Contains(t, listed, map[string]any{"StringLike": map[string]any{"s3:prefix": "codebuild-cache/sagemaker-abalone-p-abalonedemo1-modeldeploy/*"}},
		"with a pipeline artifact bucket of its own (a stage elsewhere), CDK's grants list nothing of this bucket")
}

func envVars(project map[string]any) map[string]string {
	out := map[string]string{}
	for _, v := range project["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		vm := v.(map[string]any)
		out[vm["Name"].(string)] = testutil.Render(vm["Value"])
	}
	return out
}

func TestTestProjectMayOnlyInvokeTheStagingEndpoint(t *testing.T) {
	tpl := defaultTemplate(t)
	p := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-testing").Properties
	role := strings.TrimSuffix(strings.TrimPrefix(testutil.Render(p["ServiceRole"]), "${"), ".Arn}")
	var invokes []testutil.Statement
	for _, s := range tpl.RoleStatements(role) {
		if s.HasAction("sagemaker:InvokeEndpoint") {
			invokes = append(invokes, s)
		}
		assert.False(t, s.HasAction("sagemaker:CreateEndpoint"))
	}
	require.Len(t, invokes, 1)
	assert.Equal(t, []string{"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/abalone-p-abalonedemo1-staging"}, invokes[0].Resources)
}

func TestDeploymentRoleManagesOnlyTheProjectsEndpointResources(t *testing.T) {
	tpl := defaultTemplate(t)
	bySid := map[string]testutil.Statement{}
	for _, s := range tpl.RoleStatements(deploymentRole(t, tpl)) {
		bySid[s.Sid] = s
	}
	assert.ElementsMatch(t, []string{
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/abalone-p-abalonedemo1-staging",
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/abalone-p-abalonedemo1-prod",
	}, bySid["ManageEndpoints"].Resources)
	assert.ElementsMatch(t, []string{
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:data-quality-job-definition/abalone-p-abalonedemo1-*",
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:monitoring-schedule/abalone-p-abalonedemo1-staging",
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:monitoring-schedule/abalone-p-abalonedemo1-prod",
	}, bySid["ManageMonitoring"].Resources, "the endpoints' monitoring: job definitions by the project's prefix, schedules named after the endpoints")
	assert.True(t, bySid["ManageMonitoring"].HasAction("sagemaker:CreateMonitoringSchedule"))
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:RequestTag/sagemaker:project-id": "p-abalonedemo1"}}, bySid["CreateTaggedModelsAndConfigs"].Conditions)
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/sagemaker:project-id": "p-abalonedemo1"}}, bySid["ManageTaggedModelsAndConfigs"].Conditions)
	assert.Equal(t, []string{"arn:${AWS::Partition}:iam::${AWS::AccountId}:role/sagemaker-project-p-abalonedemo1/*"}, bySid["ManageModelRoles"].Resources)
	assert.Equal(t, bySid["ManageModelRoles"].Resources, bySid["PassModelRoles"].Resources)
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"}}, bySid["PassModelRoles"].Conditions)
	assert.False(t, bySid["ManageModelRoles"].HasAction("iam:AttachRolePolicy"), "model roles get inline policies only, never managed ones")
	key := tpl.One(t, "AWS::KMS::Key").LogicalID
	assert.Equal(t, []string{"kms:CreateGrant"}, bySid["LetSageMakerUseTheProjectKey"].Actions)
	assert.Equal(t, []string{"${" + key + ".Arn}"}, bySid["LetSageMakerUseTheProjectKey"].Resources)
	assert.Equal(t, map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": true}}, bySid["LetSageMakerUseTheProjectKey"].Conditions,
		"the endpoints' key grants are for SageMaker only")
	assert.Equal(t, []string{"kms:DescribeKey"}, bySid["DescribeTheProjectKey"].Actions)
	assert.Equal(t, []string{"${" + key + ".Arn}"}, bySid["DescribeTheProjectKey"].Resources)

	scaling := bySid["EndpointAutoscaling"]
	assert.Equal(t, []string{"arn:${AWS::Partition}:application-autoscaling:${AWS::Region}:${AWS::AccountId}:scalable-target/*"}, scaling.Resources)
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{
		"application-autoscaling:service-namespace": "sagemaker", "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredInstanceCount",
	}}, scaling.Conditions, "the instance counts of SageMaker endpoint variants, nothing else Application Auto Scaling scales")
	assert.True(t, scaling.HasAction("application-autoscaling:PutScalingPolicy"))
	assert.Equal(t, []string{"*"}, bySid["DescribeEndpointAutoscaling"].Resources)
	assert.ElementsMatch(t, []string{"application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies"}, bySid["DescribeEndpointAutoscaling"].Actions)
}

// The deploy stages run only when the build decided to deploy; the production
// approval shows the build's reason; executions supersede each other.
func TestTheDeployStagesRunOnlyWhenTheBuildDeploys(t *testing.T) {
	tpl := defaultTemplate(t)
	pipeline := deployPipeline(t, tpl)
	assert.Equal(t, "SUPERSEDED", pipeline.Properties["ExecutionMode"])
	for _, a := range actions(t, pipeline) {
		switch a.name {
		case "BuildEndpointStacks":
			assert.Equal(t, "BuildVariables", testutil.Item(t, pipeline.Properties["Stages"], 1)["Actions"].([]any)[0].(map[string]any)["Namespace"])
		case "ApproveDeployment":
			assert.Contains(t, a.config["CustomData"], "The build: #{BuildVariables.DEPLOY_REASON}")
		}
	}
	for i, stage := range []string{"Source", "Build", "DeployStaging", "DeployProd"} {
		st := testutil.Item(t, pipeline.Properties["Stages"], i)
		require.Equal(t, stage, st["Name"])
		if i < 2 {
			assert.Nil(t, st["BeforeEntry"], stage)
			continue
		}
		condition := testutil.Only(t, st["BeforeEntry"].(map[string]any)["Conditions"])
		assert.Equal(t, "SKIP", condition["Result"], stage)
		rule := testutil.Only(t, condition["Rules"])
		assert.Equal(t, map[string]any{"Category": "Rule", "Owner": "AWS", "Provider": "VariableCheck", "Version": "1"}, rule["RuleTypeId"])
		assert.Equal(t, map[string]any{"Variable": "#{BuildVariables.DEPLOY}", "Operator": "EQ", "Value": "true"}, rule["Configuration"], stage)
	}
}

// The build reads the two endpoint stacks, and nothing else of CloudFormation.
func TestTheDeployBuildReadsTheStageStacks(t *testing.T) {
	tpl := defaultTemplate(t)
	build := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy")
	role := strings.Trim(strings.TrimSuffix(testutil.Render(build.Properties["ServiceRole"]), ".Arn}"), "${")
	var read []testutil.Statement
	for _, s := range tpl.RoleStatements(role) {
		if s.Sid == "ReadStageStacks" {
			read = append(read, s)
		}
	}
	require.Len(t, read, 1)
	assert.ElementsMatch(t, []string{"cloudformation:DescribeStacks", "cloudformation:GetTemplate"}, read[0].Actions)
	assert.ElementsMatch(t, []string{
		"arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/sagemaker-abalone-p-abalonedemo1-deploy-staging/*",
		"arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/sagemaker-abalone-p-abalonedemo1-deploy-prod/*",
	}, read[0].Resources)
}
