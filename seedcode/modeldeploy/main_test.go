package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"

	"modeldeploy/internal/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m, jsiiclose.Close) }

const group = "abalone-p-abalonedemo1"

// buildEnv is what the deploy pipeline's build project sets, pointed at the emulator.
func buildEnv(t *testing.T, s *motoserver.Server, extra map[string]string) func(string) string {
	vars := map[string]string{
		"SAGEMAKER_PROJECT_NAME": "abalone", "SAGEMAKER_PROJECT_ID": "p-abalonedemo1",
		"SOURCE_MODEL_PACKAGE_GROUP_NAME": group, "CDK_OUTDIR": t.TempDir(),
	}
	for k, v := range extra {
		vars[k] = v
	}
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": s.URL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": motoserver.Region} {
		t.Setenv(k, v)
	}
	return func(k string) string { return vars[k] }
}

func register(t *testing.T, sm *sagemaker.Client, status types.ModelApprovalStatus) string {
	time.Sleep(10 * time.Millisecond)
	out, err := sm.CreateModelPackage(context.Background(), &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName: aws.String(group), ModelApprovalStatus: status,
		InferenceSpecification: &types.InferenceSpecification{
			Containers:                 []types.ModelPackageContainerDefinition{{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{"text/csv"},
		},
	})
	require.NoError(t, err)
	return *out.ModelPackageArn
}

type template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
	} `json:"Resources"`
}

func readTemplate(t *testing.T, path string) template {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var tpl template
	require.NoError(t, json.Unmarshal(data, &tpl))
	return tpl
}

func (tpl template) one(t *testing.T, typ string) map[string]any {
	var found []map[string]any
	for _, r := range tpl.Resources {
		if r.Type == typ {
			found = append(found, r.Properties)
		}
	}
	require.Len(t, found, 1, typ)
	return found[0]
}

func TestBuildSynthesizesBothStagesForTheNewestApprovedVersion(t *testing.T) {
	s := motoserver.Shared(t)
	sm := sagemaker.NewFromConfig(s.Config(t))
	_, err := sm.CreateModelPackageGroup(context.Background(), &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
	require.NoError(t, err)
	register(t, sm, types.ModelApprovalStatusApproved)
	newest := register(t, sm, types.ModelApprovalStatusApproved)
	register(t, sm, types.ModelApprovalStatusPendingManualApproval)

	getenv := buildEnv(t, s, nil)
	require.NoError(t, run(context.Background(), getenv, "."))
	assert.Contains(t, decision(t, getenv("CDK_OUTDIR")), "export DEPLOY=true\n", "no stack runs yet")
	assert.Contains(t, decision(t, getenv("CDK_OUTDIR")), "export DEPLOY_MODEL_PACKAGE_ARN='"+newest+"'\n")

	for stage, sampling := range map[string]float64{"Staging": 100, "Prod": 80} {
		tpl := readTemplate(t, filepath.Join(getenv("CDK_OUTDIR"), stage+".template.json"))
		model := tpl.one(t, "AWS::SageMaker::Model")
		assert.Equal(t, newest, model["PrimaryContainer"].(map[string]any)["ModelPackageName"], stage)
		lower := map[string]string{"Staging": "staging", "Prod": "prod"}[stage]
		assert.Equal(t, "abalone-p-abalonedemo1-"+lower, tpl.one(t, "AWS::SageMaker::Endpoint")["EndpointName"])
		capture := tpl.one(t, "AWS::SageMaker::EndpointConfig")["DataCaptureConfig"].(map[string]any)
		assert.Equal(t, sampling, capture["InitialSamplingPercentage"], "from %s-config.json", lower)
		routing := tpl.one(t, "AWS::SageMaker::Endpoint")["DeploymentConfig"].(map[string]any)["BlueGreenUpdatePolicy"].(map[string]any)["TrafficRoutingConfiguration"]
		bake := map[string]float64{"Staging": 0, "Prod": 600}[stage]
		assert.Equal(t, map[string]any{"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": bake}, routing, "from %s-config.json", lower)
	}
}

// A stage file's deployment settings that SageMaker would reject fail the build,
// naming the file, the key, the value and what is allowed.
func TestBadDeploymentSettingsFailTheBuild(t *testing.T) {
	s := motoserver.Shared(t)
	cases := []struct{ prod, want string }{
		{`{"deployment.strategy": "canary"}`, `prod.deployment.canaryInstances "1" is invalid: must be at most 50 % of the variant's fewest instances (1)`},
		{`{"deployment.strategy": "rolling"}`, `prod.deployment.strategy "rolling" is invalid: must be one of auto, allAtOnce, canary, linear`},
		{`{"deployment.bakeSeconds": 4000}`, `prod.deployment.bakeSeconds "4000" is invalid: must be between 0 and 3600`},
		{`{"deployment.bakeSeconds": 600, "deployment.terminationWaitSeconds": 300, "deployment.maxExecutionSeconds": 700}`,
			`prod.deployment.maxExecutionSeconds "700" is invalid: must be longer than the update's waits, 900 s`},
		{`{"instanceCount": 4, "deployment.strategy": "linear", "deployment.linearStepInstances": 3}`,
			`prod.deployment.linearStepInstances "3" is invalid: must be 10 % to 50 % of the variant's instances (4 to 4): 1 to 2`},
		{`{"deployment.alarmModelLatencyMs": "fast"}`, `prod.deployment.alarmModelLatencyMs "fast" is invalid: must be a whole number`},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		for _, f := range []string{"cdk.json", "staging-config.json"} {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, 0o644))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "prod-config.json"), []byte(tc.prod), 0o644))
		err := run(context.Background(), buildEnv(t, s, nil), dir)
		require.Error(t, err, tc.prod)
		assert.Contains(t, err.Error(), "prod-config.json: invalid configuration:", tc.prod)
		assert.Contains(t, err.Error(), tc.want, tc.prod)
	}
}

// decision is the decision file the build wrote into its output directory.
func decision(t *testing.T, out string) string {
	data, err := os.ReadFile(filepath.Join(out, "deploy.env"))
	require.NoError(t, err)
	return string(data)
}

// With no Approved version (e.g. the last one was rejected) the build deploys nothing
// and says so; it synthesizes no template.
func TestBuildSkipsTheDeployStagesWhenNothingIsApproved(t *testing.T) {
	s := motoserver.Shared(t)
	sm := sagemaker.NewFromConfig(s.Config(t))
	_, err := sm.CreateModelPackageGroup(context.Background(), &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
	require.NoError(t, err)
	register(t, sm, types.ModelApprovalStatusRejected)

	getenv := buildEnv(t, s, nil)
	require.NoError(t, run(context.Background(), getenv, "."))
	assert.Equal(t, "export DEPLOY=false\n"+
		"export DEPLOY_REASON='no Approved model package in group abalone-p-abalonedemo1: nothing is deployed, the endpoints stay as they are (staging serves nothing yet, prod serves nothing yet)'\n"+
		"export DEPLOY_MODEL_PACKAGE_ARN=''\n", decision(t, getenv("CDK_OUTDIR")))
	templates, _ := filepath.Glob(filepath.Join(getenv("CDK_OUTDIR"), "*.template.json"))
	assert.Empty(t, templates)
}

func TestBuildFailsNamingTheGroupWhenItDoesNotExist(t *testing.T) {
	s := motoserver.Shared(t)
	err := run(context.Background(), buildEnv(t, s, nil), ".")
	require.EqualError(t, err, `model package group "abalone-p-abalonedemo1" does not exist: the ModelBuild pipeline creates versions in it; check SOURCE_MODEL_PACKAGE_GROUP_NAME`)
}

func TestBuildChecksItsSettingsBeforeCallingAWS(t *testing.T) {
	s := motoserver.Shared(t)
	err := run(context.Background(), buildEnv(t, s, map[string]string{"SOURCE_MODEL_PACKAGE_GROUP_NAME": ""}), ".")
	require.EqualError(t, err, "environment variables [SOURCE_MODEL_PACKAGE_GROUP_NAME] are not set: the project's CodeBuild project sets them")

	dir := t.TempDir()
	for _, f := range []string{"cdk.json", "prod-config.json"} {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "staging-config.json"), []byte(`{"hosting": "serverless"}`), 0o644))
	err = run(context.Background(), buildEnv(t, s, nil), dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "staging-config.json: invalid configuration:")
	assert.Contains(t, err.Error(), `staging.hosting "serverless" with staging.dataCapture.enabled true is invalid`)
}

func TestAGivenModelPackageSkipsTheRegistry(t *testing.T) {
	s := motoserver.Shared(t)
	const arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abalonedemo1/9"
	getenv := buildEnv(t, s, map[string]string{
		"MODEL_PACKAGE_ARN": arn, "STAGING_ACCOUNT_ID": "222222222222", "STAGING_REGION": "us-east-1", "STAGING_CAPTURE_PREFIX": "datacapture-staging",
		"STAGING_MONITORING":   "granted",
		"ARTIFACTS_ACCOUNT_ID": "123456789012", "ARTIFACTS_REGION": "us-east-1",
	})
	require.NoError(t, run(context.Background(), getenv, "."))
	tpl := readTemplate(t, filepath.Join(getenv("CDK_OUTDIR"), "Staging.template.json"))
	assert.Equal(t, arn, tpl.one(t, "AWS::SageMaker::Model")["PrimaryContainer"].(map[string]any)["ModelPackageName"])
	assert.Equal(t, true, tpl.one(t, "AWS::SageMaker::Model")["EnableNetworkIsolation"], "staging-config.json's networkIsolation")
	capture := tpl.one(t, "AWS::SageMaker::EndpointConfig")["DataCaptureConfig"].(map[string]any)
	assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:alias/sagemaker-project-p-abalonedemo1", capture["KmsKeyId"], "a staging account reaches the project's key by its alias ARN")
}

func TestAStageElsewhereMustCaptureAndMonitorWhereItsAccountMay(t *testing.T) {
	s := motoserver.Shared(t)
	stagingElsewhere := map[string]string{
		"MODEL_PACKAGE_ARN":  "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abalonedemo1/9",
		"STAGING_ACCOUNT_ID": "222222222222", "STAGING_REGION": "us-east-1",
		"ARTIFACTS_ACCOUNT_ID": "123456789012", "ARTIFACTS_REGION": "us-east-1",
	}
	other := map[string]string{"STAGING_CAPTURE_PREFIX": "captured/staging"}
	for k, v := range stagingElsewhere {
		other[k] = v
	}
	err := run(context.Background(), buildEnv(t, s, other), ".")
	require.EqualError(t, err, `staging-config.json dataCapture.prefix "datacapture-staging": the project lets account 222222222222 write captured data only under "captured/staging": use that prefix, or deploy the project with staging.dataCapture.prefix=datacapture-staging`)

	err = run(context.Background(), buildEnv(t, s, stagingElsewhere), ".")
	require.EqualError(t, err, "staging-config.json captures data (dataCapture.enabled), but the project lets account 222222222222 write no captured data: set dataCapture.enabled to false, or deploy the project with staging.dataCapture.enabled=true")

	captures := map[string]string{"STAGING_CAPTURE_PREFIX": "datacapture-staging"}
	for k, v := range stagingElsewhere {
		captures[k] = v
	}
	err = run(context.Background(), buildEnv(t, s, captures), ".")
	require.EqualError(t, err, "staging-config.json monitors the endpoint (monitoring.enabled), but the project lets account 222222222222 read no captured data for monitoring: set monitoring.enabled to false, or deploy the project with staging.monitoring.enabled=true")
}

// The project places the endpoints in its VPC: the build's environment says where,
// the stage files cannot.
func TestTheEndpointsRunInTheProjectsVpc(t *testing.T) {
	s := motoserver.Shared(t)
	getenv := buildEnv(t, s, map[string]string{
		"MODEL_PACKAGE_ARN": "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abalonedemo1/9",
		"STAGING_VPC_ID":    "vpc-0a1b2c3d", "STAGING_SUBNET_IDS": "subnet-0a1b2c3d,subnet-0a1b2c3e",
		"PROD_VPC_ID": "vpc-0a1b2c3d", "PROD_SUBNET_IDS": "subnet-0a1b2c3d,subnet-0a1b2c3e", "PROD_SECURITY_GROUP_IDS": "sg-0a1b2c3d",
	})
	require.NoError(t, run(context.Background(), getenv, "."))
	staging := readTemplate(t, filepath.Join(getenv("CDK_OUTDIR"), "Staging.template.json"))
	vpc := staging.one(t, "AWS::SageMaker::Model")["VpcConfig"].(map[string]any)
	assert.Equal(t, []any{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}, vpc["Subnets"])
	assert.Len(t, vpc["SecurityGroupIds"], 1, "a security group created for the endpoint")
	prod := readTemplate(t, filepath.Join(getenv("CDK_OUTDIR"), "Prod.template.json"))
	assert.Equal(t, []any{"sg-0a1b2c3d"}, prod.one(t, "AWS::SageMaker::Model")["VpcConfig"].(map[string]any)["SecurityGroupIds"])

	bad := buildEnv(t, s, map[string]string{"STAGING_VPC_ID": "vpc-0a1b2c3d", "STAGING_SUBNET_IDS": "subnet-0a1b2c3d"})
	assert.ErrorContains(t, run(context.Background(), bad, "."), `STAGING_VPC_ID, STAGING_SUBNET_IDS, STAGING_SECURITY_GROUP_IDS: network.Placement: SubnetIDs "subnet-0a1b2c3d" must be 2 to 16 different subnets`)
}

// A project created from a Studio template bounds its roles: the build passes the
// boundary on, and every role of both endpoint stacks carries it, since the project's
// deployment role may create no other.
func TestTheProjectsPermissionsBoundaryReachesEveryRoleOfTheEndpointStacks(t *testing.T) {
	s := motoserver.Shared(t)
	const boundary = "arn:aws:iam::123456789012:policy/sagemaker-mlops-projects-boundary-us-east-1"
	getenv := buildEnv(t, s, map[string]string{
		"MODEL_PACKAGE_ARN":        "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abalonedemo1/9",
		"PERMISSIONS_BOUNDARY_ARN": boundary,
	})
	require.NoError(t, run(context.Background(), getenv, "."))
	for _, stage := range []string{"Staging", "Prod"} {
		tpl := readTemplate(t, filepath.Join(getenv("CDK_OUTDIR"), stage+".template.json"))
		roles := 0
		for id, r := range tpl.Resources {
			if r.Type == "AWS::IAM::Role" {
				roles++
				assert.Equal(t, boundary, r.Properties["PermissionsBoundary"], "%s %s", stage, id)
			}
		}
		assert.Positive(t, roles, stage)
	}

	unbounded := buildEnv(t, s, map[string]string{"MODEL_PACKAGE_ARN": "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abalonedemo1/9"})
	require.NoError(t, run(context.Background(), unbounded, "."))
	for id, r := range readTemplate(t, filepath.Join(unbounded("CDK_OUTDIR"), "Staging.template.json")).Resources {
		assert.NotContains(t, r.Properties, "PermissionsBoundary", "without the variable, %s is as cdk deploy makes it", id)
	}
}

// buildspec.yml exports the build's decision under the names the pipeline's stage
// conditions and approval read (package deploybuild), from the file the build writes,
// and passes the compiled test gate on to TestStaging.
func TestTheBuildspecExportsTheDecision(t *testing.T) {
	data, err := os.ReadFile("buildspec.yml")
	require.NoError(t, err)
	spec := string(data)
	for _, v := range []string{deploybuild.VarDeploy, deploybuild.VarDeployReason, deploybuild.VarModelPackageArn} {
		assert.Contains(t, spec, "\n    - "+v+"\n", "exported-variables lists %s", v)
	}
	assert.Contains(t, spec, "\n      - bash "+deploybuild.BuildScript+"\n      - . cdk.out/"+deploybuild.DecisionFile+"\n")
	assert.Contains(t, spec, "\n    - "+deploybuild.DecisionFile+"\n", "an artifact even when no template is synthesized")
	assert.Contains(t, spec, "\n    - "+deploybuild.TestGateFile+"\n")
	gate, err := os.ReadFile("test-buildspec.yml")
	require.NoError(t, err)
	assert.Contains(t, string(gate), `"$CODEBUILD_SRC_DIR_`+deploybuild.BuildOutput+"/"+deploybuild.TestGateFile+`" -report`, "the test gate runs from the Build stage's output")
}

// A stage monitors its endpoint when its settings say so and the version has a
// baseline, and the build says what it monitors against.
func TestWhichStagesAreMonitoredAndWhatTheBuildSays(t *testing.T) {
	b := &monitoring.Baseline{
		StatisticsURI: "s3://sagemaker-project-p-abalonedemo1/abalone-p-abalonedemo1/e1/statistics.json", ConstraintsURI: "s3://sagemaker-project-p-abalonedemo1/abalone-p-abalonedemo1/e1/constraints.json",
		Features: []string{"_c0"},
	}
	off := config.DefaultStage(project.Prod)
	off.Monitoring.Enabled = false
	read, write, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = write
	staging := monitoredWith(project.Staging, config.DefaultStage(project.Staging), b)
	prod := monitoredWith(project.Prod, config.DefaultStage(project.Prod), b)
	disabled := monitoredWith(project.Prod, off, b)
	none := monitoredWith(project.Prod, config.DefaultStage(project.Prod), nil)
	os.Stdout = stdout
	require.NoError(t, write.Close())
	said, err := io.ReadAll(read)
	require.NoError(t, err)
	assert.Same(t, b, staging)
	assert.Same(t, b, prod)
	assert.Nil(t, disabled)
	assert.Nil(t, none)
	assert.Equal(t, "Monitoring staging against "+b.ConstraintsURI+", cron(0 * ? * * *)\n"+
		"Monitoring prod against "+b.ConstraintsURI+", cron(0 * ? * * *)\n", string(said))
}
