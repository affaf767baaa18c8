package stacks_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
)

// threeAccounts is a tooling account with the registry and builds, and a staging and a
// production account.
var threeAccounts = map[string]any{
	"account": "111111111111", "region": "eu-west-1",
	"staging.account": "222222222222", "prod.account": "333333333333",
	"requireSeparateStageAccounts": true, "bootstrapQualifier": "mlops1",
}

// multiAccount synthesizes the three stacks of the three-account configuration once.
var multiAccountCache map[string]testutil.Template

func multiAccount(t *testing.T) map[string]testutil.Template {
	t.Helper()
	if multiAccountCache != nil {
		return multiAccountCache
	}
	cfg, err := config.Parse(threeAccounts)
	require.NoError(t, err)
	p := stacks.NewProject(testutil.NewApp(t, "", threeAccounts), cfg)
	assert.Equal(t, "111111111111", *p.Project.Account())
	assert.Equal(t, "222222222222", *p.Staging.Account())
	assert.Equal(t, "333333333333", *p.Prod.Account())
	multiAccountCache = map[string]testutil.Template{
		"project": testutil.Synth(t, p.Project.Stack),
		"staging": testutil.Synth(t, p.Staging.Stack),
		"prod":    testutil.Synth(t, p.Prod.Stack),
	}
	return multiAccountCache
}

func TestStageAccountsReadOnlyModelArtifactsAndTheirCapturesAndWriteOnlyTheirCapturesAndReports(t *testing.T) {
	tpl := multiAccount(t)["project"]
	bucket := tpl.Named(t, "AWS::S3::Bucket", "BucketName", "sagemaker-project-p-abalonedemo1").LogicalID
	bySid := map[string]testutil.Statement{}
	for _, s := range tpl.AllStatements() {
		if s.Sid != "" {
			bySid[s.Sid] = s
		}
	}
	for account, stage := range map[string]string{"222222222222": "staging", "333333333333": "prod"} {
		roles := map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": "arn:aws:iam::" + account + ":role/sagemaker-project-p-abalonedemo1/*"}}
		read := bySid["ReadModelArtifactsAccount"+account]
		assert.Equal(t, []string{"AWS:arn:aws:iam::" + account + ":root"}, read.Principals)
		assert.ElementsMatch(t, []string{"s3:GetObject", "s3:GetObjectVersion"}, read.Actions)
		assert.Equal(t, []string{"${" + bucket + ".Arn}/abalone-p-abalonedemo1/*"}, read.Resources, "only the model artifacts, not the whole bucket")
		assert.Equal(t, roles, read.Conditions, "only the project's model roles of the account")

		write := bySid["WriteCapturedDataAccount"+account]
		assert.Equal(t, []string{"${" + bucket + ".Arn}/datacapture-" + stage + "/*"}, write.Resources, "each account writes only its own stage's capture")
		assert.ElementsMatch(t, []string{"s3:PutObject", "s3:AbortMultipartUpload"}, write.Actions)
		assert.Equal(t, roles, write.Conditions)

		endpoint := "abalone-p-abalonedemo1-" + stage
		assert.Equal(t, []any{"datacapture-" + stage + "/" + endpoint + "/*"}, bySid["ListCapturedDataAccount"+account].Conditions["StringLike"].(map[string]any)["s3:prefix"],
			"the monitoring job lists its endpoint's captures only")
		assert.Equal(t, []string{"${" + bucket + ".Arn}/datacapture-" + stage + "/" + endpoint + "/*"}, bySid["ReadCapturedDataAccount"+account].Resources)
		assert.Equal(t, []string{"${" + bucket + ".Arn}/monitoring-" + stage + "/*"}, bySid["WriteMonitoringReportsAccount"+account].Resources, "each account writes its own stage's reports")

		key := bySid["UseThroughS3Account"+account]
		assert.ElementsMatch(t, []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"}, key.Actions)
		assert.Equal(t, "s3.eu-west-1.amazonaws.com", key.Conditions["StringEquals"].(map[string]any)["kms:ViaService"])
		assert.Equal(t, roles["ArnLike"], key.Conditions["ArnLike"])
	}

	group := tpl.One(t, "AWS::SageMaker::ModelPackageGroup")
	var groupStatements []testutil.Statement
	for _, s := range tpl.AllStatements() {
		if s.Policy == group.LogicalID {
			groupStatements = append(groupStatements, s)
		}
	}
	require.Len(t, groupStatements, 2)
	for _, s := range groupStatements {
		assert.Equal(t, []string{"AWS:arn:aws:iam::222222222222:root", "AWS:arn:aws:iam::333333333333:root"}, s.Principals)
	}
	assert.Equal(t, []string{"sagemaker:DescribeModelPackage", "sagemaker:CreateModel"}, groupStatements[1].Actions, "describe a version and create a model from it, nothing more")
	assert.Equal(t, []string{"arn:aws:sagemaker:eu-west-1:111111111111:model-package/abalone-p-abalonedemo1/*"}, groupStatements[1].Resources)
}

func TestCrossAccountStagesDeployThroughTheirBootstrapRoles(t *testing.T) {
	tpl := multiAccount(t)["project"]
	acts := actions(t, deployPipeline(t, tpl))
	byStage := map[string]action{}
	for _, a := range acts {
		if a.provider == "CloudFormation" {
			byStage[a.stage] = a
		}
	}
	for stage, account := range map[string]string{"DeployStaging": "222222222222", "DeployProd": "333333333333"} {
		a := byStage[stage]
		assert.Equal(t, "arn:aws:iam::"+account+":role/cdk-mlops1-deploy-role-"+account+"-eu-west-1", a.roleArn, stage)
		assert.Equal(t, "arn:aws:iam::"+account+":role/cdk-mlops1-cfn-exec-role-"+account+"-eu-west-1", a.config["RoleArn"], stage)
		assert.Equal(t, "CAPABILITY_NAMED_IAM", a.config["Capabilities"])
	}
	assert.Empty(t, deploymentRoleOrEmpty(tpl), "no local deployment role when every stage is elsewhere")

	pipelineBucket := testutil.Render(deployPipeline(t, tpl).Properties["ArtifactStore"].(map[string]any)["Location"])
	projectBucket := tpl.Named(t, "AWS::S3::Bucket", "BucketName", "sagemaker-project-p-abalonedemo1").LogicalID
	assert.NotEqual(t, "${"+projectBucket+"}", pipelineBucket, "stage deploy roles read a pipeline bucket of their own, not the project's artifacts")

	test := envVars(tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-testing").Properties)
	assert.Equal(t, "arn:aws:iam::222222222222:role/sagemaker-p-abalonedemo1-staging-tester", test["TEST_ROLE_ARN"])
	build := envVars(tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy").Properties)
	assert.Equal(t, "222222222222", build["STAGING_ACCOUNT_ID"])
	assert.Equal(t, "333333333333", build["PROD_ACCOUNT_ID"])
	assert.Equal(t, "111111111111", build["ARTIFACTS_ACCOUNT_ID"])
	assert.Equal(t, "datacapture-staging", build["STAGING_CAPTURE_PREFIX"], "the build checks the stage files against what each account may write")
	assert.Equal(t, "datacapture-prod", build["PROD_CAPTURE_PREFIX"])
	assert.Equal(t, "granted", build["STAGING_MONITORING"], "the build checks the stage files' monitoring against what each account may read")
	assert.Equal(t, "granted", build["PROD_MONITORING"])
	assert.Equal(t, "mlops1", build["CDK_BOOTSTRAP_QUALIFIER"])

	// The build reads each stage's stack through that account's lookup role.
	buildProject := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy")
	role := strings.Trim(strings.TrimSuffix(testutil.Render(buildProject.Properties["ServiceRole"]), ".Arn}"), "${")
	var lookup []string
	for _, st := range tpl.RoleStatements(role) {
		if st.Sid == "ReadStageStacksElsewhere" {
			lookup = append(lookup, st.Resources...)
		}
		assert.NotEqual(t, "ReadStageStacks", st.Sid, "no stage stack in the pipeline's account")
	}
	assert.ElementsMatch(t, []string{
		"arn:aws:iam::222222222222:role/cdk-mlops1-lookup-role-222222222222-eu-west-1",
		"arn:aws:iam::333333333333:role/cdk-mlops1-lookup-role-333333333333-eu-west-1",
	}, lookup)
}

func deploymentRoleOrEmpty(tpl testutil.Template) string {
	for _, s := range tpl.AllStatements() {
		if s.HasAction("sts:AssumeRole") && len(s.Principals) == 1 && s.Principals[0] == "Service:cloudformation.amazonaws.com" {
			return s.Policy
		}
	}
	return ""
}

func TestStagingAccountLetsOnlyTheTestGateRoleInvokeItsEndpoint(t *testing.T) {
	staging := multiAccount(t)["staging"]
	var tester testutil.Resource
	for _, r := range staging.Resources("AWS::IAM::Role") {
		if r.Properties["RoleName"] == "sagemaker-p-abalonedemo1-staging-tester" {
			tester = r
		}
	}
	require.NotEmpty(t, tester.LogicalID)
	trust := testutil.Only(t, tester.Properties["AssumeRolePolicyDocument"].(map[string]any)["Statement"])
	assert.Equal(t, map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": "arn:aws:iam::111111111111:role/sagemaker-p-abalonedemo1-testing"}}, trust["Condition"])
	statements := staging.RoleStatements(tester.LogicalID)
	require.Len(t, statements, 1)
	assert.ElementsMatch(t, []string{"sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"}, statements[0].Actions)
	assert.Equal(t, []string{"arn:aws:sagemaker:eu-west-1:222222222222:endpoint/abalone-p-abalonedemo1-staging"}, statements[0].Resources)

	multiAccount(t)["prod"].Named(t, "AWS::SageMaker::Endpoint", "EndpointName", "abalone-p-abalonedemo1-prod")
	for _, r := range multiAccount(t)["prod"].Resources("AWS::IAM::Role") {
		assert.Nil(t, r.Properties["RoleName"], "only staging is tested: prod names no role")
	}

	for name, tpl := range map[string]testutil.Template{"staging": staging, "prod": multiAccount(t)["prod"]} {
		cfg := tpl.One(t, "AWS::SageMaker::EndpointConfig").Properties
		storage := testutil.Render(cfg["KmsKeyId"])
		assert.Equal(t, "${"+tpl.One(t, "AWS::KMS::Key").LogicalID+".Arn}", storage, "%s: storage encrypted with a key of the stage account", name)
		capture := cfg["DataCaptureConfig"].(map[string]any)
		assert.Equal(t, "arn:aws:kms:eu-west-1:111111111111:alias/sagemaker-project-p-abalonedemo1", capture["KmsKeyId"], "%s: captured data encrypted with the project key", name)
		assert.Equal(t, "s3://sagemaker-project-p-abalonedemo1/datacapture-"+name, capture["DestinationS3Uri"])
	}
}

// TestNoPolicyListsAPrincipalTwice guards against the "duplicate principal" errors
// users of other implementations hit when stages share an account, in every mode.
func TestNoPolicyListsAPrincipalTwice(t *testing.T) {
	shared, err := config.Parse(map[string]any{"account": "111111111111", "region": "eu-west-1", "staging.account": "222222222222", "prod.account": "222222222222"})
	require.NoError(t, err)
	sharedStack := stacks.NewProject(testutil.NewApp(t, "", nil), shared)
	templates := map[string]testutil.Template{
		"single":        defaultTemplate(t),
		"three-account": multiAccount(t)["project"],
		"shared-stage":  testutil.Synth(t, sharedStack.Project.Stack),
	}
	for mode, tpl := range templates {
		for _, s := range tpl.AllStatements() {
			seen := map[string]bool{}
			for _, p := range s.Principals {
				assert.False(t, seen[p], "%s: %s lists %s twice", mode, s.Policy, p)
				seen[p] = true
			}
		}
	}
	group := templates["shared-stage"].One(t, "AWS::SageMaker::ModelPackageGroup")
	for _, s := range templates["shared-stage"].AllStatements() {
		if s.Policy == group.LogicalID {
			assert.Equal(t, []string{"AWS:arn:aws:iam::222222222222:root"}, s.Principals)
		}
	}
}

// TestSingleAccountTrustsNoOtherAccount: the default project's policies name no
// account but its own (an environment-agnostic stack names no account at all).
func TestSingleAccountTrustsNoOtherAccount(t *testing.T) {
	tpl := defaultTemplate(t)
	assert.Nil(t, tpl.One(t, "AWS::SageMaker::ModelPackageGroup").Properties["ModelPackageGroupPolicy"])
	account := regexp.MustCompile(`[0-9]{12}`)
	for _, s := range tpl.AllStatements() {
		for _, p := range s.Principals {
			assert.False(t, account.MatchString(p), "%s trusts %s", s.Policy, p)
		}
	}
}

func TestEndpointNamesNeverCollideAcrossStagesOrProjects(t *testing.T) {
	seen := map[string]bool{}
	for _, ctx := range []map[string]any{nil, {"projectId": "p-otherproject"}, {"projectName": "abalone2"}} {
		staging, prod := endpointTemplates(t, ctx)
		for _, tpl := range []testutil.Template{staging, prod} {
			name := tpl.One(t, "AWS::SageMaker::Endpoint").Properties["EndpointName"].(string)
			assert.False(t, seen[name], "endpoint name %s used twice", name)
			seen[name] = true
		}
	}
	assert.Len(t, seen, 6, "two stages of three projects give six names")
}
