package modeldeploy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modeldeploy"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var (
	churn = project.Identity{Name: "churn", ID: "p-churn0001"}
	env   = &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}
)

// teamResources are what a team outside a green field brings: its own bucket, key
// and access-log bucket, its own model package group, a CodeCommit repository.
func teamResources(stack awscdk.Stack, withLogs bool) modeldeploy.ModelDeployProps {
	attrs := &artifacts.ArtifactBucketAttributes{
		Bucket: awss3.Bucket_FromBucketName(stack, jsii.String("TeamBucket"), jsii.String("team-ml-artifacts")),
		Key:    awskms.Key_FromKeyArn(stack, jsii.String("TeamKey"), jsii.String("arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
	}
	if withLogs {
		attrs.AccessLogs = awss3.Bucket_FromBucketName(stack, jsii.String("TeamLogs"), jsii.String("team-access-logs"))
		// An imported bucket's policy is the team's: CDK says it cannot add S3 log
		// delivery to it.
		awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String("@aws-cdk/aws-s3:accessLogsPolicyNotAdded"), jsii.String("the team's access-log bucket lets S3 log delivery write"))
	}
	return modeldeploy.ModelDeployProps{
		Project:    churn,
		Repository: source.NewCodeCommitRepository(stack, "Repo", &source.CodeCommitRepositoryProps{RepositoryName: "churn-modeldeploy"}),
		Artifacts:  artifacts.FromBucketAttributes(stack, "Artifacts", attrs),
		Registry:   registry.FromGroupName(stack, "Models", "Churn-Models"),
	}
}

var synthesized testutil.Template

// deployTemplate is one pipeline on a team's own resources with staging in another
// account bootstrapped with a custom qualifier, and the test gate's defaults.
func deployTemplate(t *testing.T) testutil.Template {
	if synthesized != nil {
		return synthesized
	}
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Deploy"), &awscdk.StackProps{Env: env})
	props := teamResources(stack, true)
	props.Staging = project.Target{Account: "222222222222"}
	props.StagingCapturePrefix = "datacapture-staging"
	props.BootstrapQualifier = "teamqual"
	modeldeploy.NewModelDeploy(stack, "ModelDeploy", &props)
	synthesized = testutil.Synth(t, stack)
	return synthesized
}

func buildEnvironment(t *testing.T, tpl testutil.Template, name string) map[string]string {
	project := tpl.Named(t, "AWS::CodeBuild::Project", "Name", name)
	out := map[string]string{}
	for _, v := range project.Properties["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		vm := v.(map[string]any)
		out[vm["Name"].(string)] = testutil.Render(vm["Value"])
	}
	return out
}

// A stage elsewhere deploys through the CDK bootstrap roles of its account, named with
// the qualifier given.
func TestAStageElsewhereUsesTheBootstrapRolesOfTheQualifierGiven(t *testing.T) {
	pipeline := deployTemplate(t).One(t, "AWS::CodePipeline::Pipeline")
	stages := pipeline.Properties["Stages"].([]any)
	require.Len(t, stages, 4)
	staging := stages[2].(map[string]any)
	require.Equal(t, "DeployStaging", staging["Name"])
	actions := staging["Actions"].([]any)
	require.Len(t, actions, 3)
	deploy := actions[0].(map[string]any)
	assert.Equal(t, "arn:aws:iam::222222222222:role/cdk-teamqual-deploy-role-222222222222-eu-west-1", testutil.Render(deploy["RoleArn"]))
	assert.Equal(t, "arn:aws:iam::222222222222:role/cdk-teamqual-cfn-exec-role-222222222222-eu-west-1", testutil.Render(deploy["Configuration"].(map[string]any)["RoleArn"]))
	prod := stages[3].(map[string]any)["Actions"].([]any)
	require.Len(t, prod, 1)
	assert.NotContains(t, testutil.Render(prod[0].(map[string]any)["Configuration"].(map[string]any)["RoleArn"]), "cdk-", "prod is local: the project's deployment role deploys it")
}

// The actions run as the pipeline's role, except a deployment to another account,
// which goes through that account's CDK deploy role: CDK's default of one role per
// action, each assumable by the pipeline's role, would add roles that bound nothing
// the pipeline's role could not reach anyway.
func TestTheActionsRunAsThePipelinesRoleExceptInAnotherAccount(t *testing.T) {
	tpl := deployTemplate(t)
	assert.Equal(t, map[string]string{
		"Source/Source":                   "",
		"Build/BuildEndpointStacks":       "",
		"DeployStaging/Deploy":            "arn:aws:iam::222222222222:role/cdk-teamqual-deploy-role-222222222222-eu-west-1",
		"DeployStaging/TestStaging":       "",
		"DeployStaging/ApproveDeployment": "",
		"DeployProd/Deploy":               "",
	}, testutil.ActionRoles(tpl.One(t, "AWS::CodePipeline::Pipeline")))
	for _, role := range tpl.Resources("AWS::IAM::Role") {
		assert.NotContains(t, role.LogicalID, "CodePipelineActionRole")
	}
}

// The team's registry and bucket are what the builds are told, and the stage
// elsewhere is described in the build's environment.
func TestTheBuildsUseTheTeamsRegistryAndBucket(t *testing.T) {
	tpl := deployTemplate(t)
	build := buildEnvironment(t, tpl, "sagemaker-churn-p-churn0001-modeldeploy")
	assert.Equal(t, "Churn-Models", build["SOURCE_MODEL_PACKAGE_GROUP_NAME"])
	assert.Equal(t, "team-ml-artifacts", build["ARTIFACT_BUCKET"])
	assert.Equal(t, "222222222222", build["STAGING_ACCOUNT_ID"])
	assert.Equal(t, "eu-west-1", build["STAGING_REGION"], "a stage's region defaults to the pipeline's")
	assert.Equal(t, "datacapture-staging", build["STAGING_CAPTURE_PREFIX"])
	assert.NotContains(t, build, "STAGING_MONITORING", "monitoring is off unless the props grant it")
	assert.NotContains(t, build, "PROD_ACCOUNT_ID")
	test := buildEnvironment(t, tpl, "sagemaker-churn-p-churn0001-testing")
	assert.Equal(t, "20", test["TEST_INVOCATIONS"], "the documented default")
	assert.Equal(t, "500", test["TEST_P95_LATENCY_MS"], "the documented default")
	assert.Equal(t, "arn:aws:iam::222222222222:role/sagemaker-p-churn0001-staging-tester", test["TEST_ROLE_ARN"])

	var approvals []any
	for _, rule := range tpl.Resources("AWS::Events::Rule") {
		if pattern := rule.Properties["EventPattern"].(map[string]any); testutil.Render(pattern["source"]) == "[aws.sagemaker]" {
			approvals = append(approvals, pattern["detail"].(map[string]any)["ModelPackageGroupName"])
		}
	}
	assert.Equal(t, []any{[]any{"Churn-Models"}}, approvals, "one rule, for the team's group")
}

// With a stage elsewhere the pipeline keeps its artifacts in a bucket of its own,
// logging to the team's access-log bucket.
func TestAPipelineWithAStageElsewhereHasItsOwnArtifactBucket(t *testing.T) {
	tpl := deployTemplate(t)
	bucket := tpl.One(t, "AWS::S3::Bucket")
	assert.Equal(t, "team-access-logs", bucket.Properties["LoggingConfiguration"].(map[string]any)["DestinationBucketName"])
	store := tpl.One(t, "AWS::CodePipeline::Pipeline").Properties["ArtifactStore"].(map[string]any)
	assert.Equal(t, "${"+bucket.LogicalID+"}", testutil.Render(store["Location"]))
}

func TestBadPropsPanicWithWhatIsAllowed(t *testing.T) {
	agnostic := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Agnostic"), nil)
	for name, tc := range map[string]struct {
		change func(*modeldeploy.ModelDeployProps)
		stack  awscdk.Stack
		want   string
	}{
		"no repository":       {func(p *modeldeploy.ModelDeployProps) { p.Repository = nil }, nil, "ModelDeployProps.Repository, Artifacts and Registry are required"},
		"too few invocations": {func(p *modeldeploy.ModelDeployProps) { p.TestInvocations = 19 }, nil, "ModelDeployProps.TestInvocations 19 is invalid: must be between 20 and 1000: the p95 latency needs at least 20 calls"},
		"too many invocations": {func(p *modeldeploy.ModelDeployProps) { p.TestInvocations = 1001 }, nil,
			"ModelDeployProps.TestInvocations 1001 is invalid: must be between 20 and 1000: the p95 latency needs at least 20 calls"},
		"a budget beyond the invocation timeout": {func(p *modeldeploy.ModelDeployProps) { p.TestP95LatencyMs = 60001 }, nil,
			"ModelDeployProps.TestP95LatencyMs 60001 is invalid: must be between 1 and 60000 milliseconds"},
		"a proxy over plain HTTP": {func(p *modeldeploy.ModelDeployProps) { p.GoProxy = "http://goproxy.internal" }, nil,
			`ModelDeployProps.GoProxy "http://goproxy.internal" "http://goproxy.internal" must be the https:// URL of a Go module proxy, or direct (GOPROXY's syntax: entries separated by commas or pipes)`},
		"builds in one subnet": {func(p *modeldeploy.ModelDeployProps) {
			p.BuildNetwork = network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d"}}
		}, nil, `ModelDeployProps.BuildNetwork: network.Placement: SubnetIDs "subnet-0a1b2c3d" must be 2 to 16 different subnets, in different Availability Zones (SageMaker recommends endpoints in two or more), separated by commas`},
		"a stage elsewhere from an environment-agnostic stack": {func(p *modeldeploy.ModelDeployProps) { p.Prod = project.Target{Account: "333333333333"} }, agnostic,
			"ModelDeployProps.Prod deploys to account 333333333333 region : a stage in another account or region needs the pipeline's stack to have an explicit account and region (StackProps.Env)"},
		"a stage elsewhere without access logs for the pipeline's bucket": {func(p *modeldeploy.ModelDeployProps) { p.Prod = project.Target{Account: "333333333333"} }, nil,
			"ModelDeployProps.Artifacts has no access-log bucket: a deploy pipeline with a stage in another account keeps its artifacts in a bucket of its own, which logs to the store's access-log bucket; import the store with ArtifactBucketAttributes.AccessLogs"},
	} {
		stack := tc.stack
		if stack == nil {
			stack = awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Refusals"), &awscdk.StackProps{Env: env})
		}
		props := teamResources(stack, false)
		tc.change(&props)
		assert.PanicsWithValue(t, tc.want, func() { modeldeploy.NewModelDeploy(stack, "ModelDeploy"+strings.ReplaceAll(name, " ", ""), &props) }, name)
	}
}

// A deploy pipeline on a team's own registry and bucket, both stages in the pipeline's
// account.
func ExampleNewModelDeploy() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Deploy"), &awscdk.StackProps{Env: env})
	props := teamResources(stack, false)
	deploy := modeldeploy.NewModelDeploy(stack, "ModelDeploy", &props)
	fmt.Println(*deploy.Pipeline.Node().Path(), deploy.DeploymentRole != nil)
	// Output:
	// Deploy/ModelDeploy/Pipeline true
}
