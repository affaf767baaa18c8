package deploybuild

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var churn = project.Identity{Name: "churn", ID: "p-churn0001"}

// What the pipeline writes, the app reads back, stage by stage.
func TestTheEnvironmentRoundTrips(t *testing.T) {
	written := Environment{
		Project: churn, ModelPackageGroup: "churn-p-churn0001", ArtifactBucket: "sagemaker-project-p-churn0001", Region: "eu-west-1",
		Elsewhere:       map[project.Stage]project.Target{project.Prod: {Account: "333333333333", Region: "eu-west-1"}},
		CapturePrefixes: map[project.Stage]string{project.Prod: "datacapture-prod"},
		Monitored:       map[project.Stage]bool{project.Prod: true},
		Networks: map[project.Stage]network.Placement{
			project.Staging: {VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}},
			project.Prod:    {VpcID: "vpc-0f0e0d0c", SubnetIDs: []string{"subnet-0f0e0d0c", "subnet-0f0e0d0d"}, SecurityGroupIDs: []string{"sg-0f0e0d0c"}},
		},
		ArtifactsAccount: "111111111111", ArtifactsRegion: "eu-west-1",
		PermissionsBoundaryArn: "arn:aws:iam::111111111111:policy/boundary", BootstrapQualifier: "mlops1",
	}
	vars := written.Variables()
	assert.Equal(t, map[string]string{
		"SAGEMAKER_PROJECT_NAME": "churn", "SAGEMAKER_PROJECT_ID": "p-churn0001",
		"SOURCE_MODEL_PACKAGE_GROUP_NAME": "churn-p-churn0001", "ARTIFACT_BUCKET": "sagemaker-project-p-churn0001", "AWS_REGION": "eu-west-1",
		"PROD_ACCOUNT_ID": "333333333333", "PROD_REGION": "eu-west-1", "PROD_CAPTURE_PREFIX": "datacapture-prod", "PROD_MONITORING": "granted",
		"STAGING_VPC_ID": "vpc-0a1b2c3d", "STAGING_SUBNET_IDS": "subnet-0a1b2c3d,subnet-0a1b2c3e",
		"PROD_VPC_ID": "vpc-0f0e0d0c", "PROD_SUBNET_IDS": "subnet-0f0e0d0c,subnet-0f0e0d0d", "PROD_SECURITY_GROUP_IDS": "sg-0f0e0d0c",
		"ARTIFACTS_ACCOUNT_ID": "111111111111", "ARTIFACTS_REGION": "eu-west-1",
		"PERMISSIONS_BOUNDARY_ARN": "arn:aws:iam::111111111111:policy/boundary", "CDK_BOOTSTRAP_QUALIFIER": "mlops1",
	}, vars, "the names are the contract with repositories seeded by earlier versions")
	read, err := Read(func(name string) string { return vars[name] })
	require.NoError(t, err)
	written.OutDir = "cdk.out"
	assert.Equal(t, written, read)
}

func TestReadNamesWhatIsMissingOrInvalid(t *testing.T) {
	_, err := Read(func(string) string { return "" })
	assert.EqualError(t, err, "environment variables [SAGEMAKER_PROJECT_NAME SAGEMAKER_PROJECT_ID SOURCE_MODEL_PACKAGE_GROUP_NAME] are not set: the project's CodeBuild project sets them")
	vars := map[string]string{EnvProjectName: "9lives", EnvProjectID: "p-x", EnvModelPackageGroup: "g"}
	_, err = Read(func(name string) string { return vars[name] })
	assert.ErrorContains(t, err, `projectName "9lives" is invalid`)
}

func TestTheTestGateRoundTripsWithItsDefaults(t *testing.T) {
	written := TestGate{Project: churn, Endpoint: "churn-p-churn0001-staging", Invocations: 40, P95LatencyMs: 250, Region: "eu-west-1",
		RoleArn: "arn:aws:iam::222222222222:role/sagemaker-p-churn0001-staging-tester"}
	vars := written.Variables()
	assert.Equal(t, "40", vars["TEST_INVOCATIONS"])
	read, err := ReadTestGate(func(name string) string { return vars[name] })
	require.NoError(t, err)
	assert.Equal(t, written, read)

	defaults, err := ReadTestGate(func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, TestGate{Invocations: MinTestInvocations, P95LatencyMs: DefaultTestP95LatencyMs}, defaults)
	_, err = ReadTestGate(func(name string) string { return map[string]string{EnvTestInvocations: "many"}[name] })
	assert.EqualError(t, err, `TEST_INVOCATIONS "many" is not a whole number`)
}

// The limits hold exactly at their bounds.
func TestTheTestGateLimits(t *testing.T) {
	for n, ok := range map[int]bool{19: false, 20: true, 1000: true, 1001: false} {
		assert.Equal(t, ok, CheckTestInvocations(n) == nil, n)
	}
	for ms, ok := range map[int]bool{0: false, 1: true, 60000: true, 60001: false} {
		assert.Equal(t, ok, CheckTestP95LatencyMs(ms) == nil, ms)
	}
}

func TestTheFilesAndQualifierAreWhatTheSeedAndTheCDKUse(t *testing.T) {
	assert.Equal(t, "Staging.template.json", TemplateFile(project.Staging))
	assert.Equal(t, "Prod.template.json", TemplateFile(project.Prod))
	assert.Equal(t, *awscdk.DefaultStackSynthesizer_DEFAULT_QUALIFIER(), DefaultBootstrapQualifier)
	assert.Equal(t, "PRE_PROD_ACCOUNT_ID", EnvStageAccount("pre-prod"))
}

// The decision file exports the build's variables for the buildspec's shell, quoted
// so that any reason survives.
func TestTheDecisionIsAShellScriptOfTheBuildsVariables(t *testing.T) {
	d := Decision{Deploy: true, Reason: "deploying v2 (prod's v1 isn't Approved)", ModelPackageArn: "arn:aws:sagemaker:eu-west-1:111111111111:model-package/g/2"}
	assert.Equal(t, "export DEPLOY=true\nexport DEPLOY_REASON='deploying v2 (prod'\\''s v1 isn'\\''t Approved)'\nexport DEPLOY_MODEL_PACKAGE_ARN='arn:aws:sagemaker:eu-west-1:111111111111:model-package/g/2'\n", d.Script())
	assert.Equal(t, "arn:aws:iam::333333333333:role/cdk-mlops1-lookup-role-333333333333-eu-west-1",
		LookupRoleArn("aws", "mlops1", project.Target{Account: "333333333333", Region: "eu-west-1"}))
}
