package modelbuild_test

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
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modelbuild"
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

// teamProps are a team's own bucket, key, model package group and repository.
func teamProps(stack awscdk.Stack) modelbuild.ModelBuildProps {
	return modelbuild.ModelBuildProps{
		Project:    churn,
		Repository: source.NewCodeCommitRepository(stack, "Repo", &source.CodeCommitRepositoryProps{RepositoryName: "churn-modelbuild"}),
		Artifacts: artifacts.FromBucketAttributes(stack, "Artifacts", &artifacts.ArtifactBucketAttributes{
			Bucket: awss3.Bucket_FromBucketName(stack, jsii.String("TeamBucket"), jsii.String("team-ml-artifacts")),
			Key:    awskms.Key_FromKeyArn(stack, jsii.String("TeamKey"), jsii.String("arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
		}),
		Registry: registry.FromGroupArn(stack, "Models", "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/Churn-Models"),
	}
}

var synthesized, inVpc testutil.Template

// buildTemplate synthesizes the team's ModelBuild once, and the same in a VPC.
func buildTemplate(t *testing.T) testutil.Template {
	if synthesized == nil {
		app := testutil.NewApp(t, "", nil)
		stack := awscdk.NewStack(app, jsii.String("Build"), &awscdk.StackProps{Env: env})
		props := teamProps(stack)
		modelbuild.NewModelBuild(stack, "ModelBuild", &props)
		vpcStack := awscdk.NewStack(app, jsii.String("InVpc"), &awscdk.StackProps{Env: env})
		vpcProps := teamProps(vpcStack)
		vpcProps.Network = network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}}
		modelbuild.NewModelBuild(vpcStack, "ModelBuild", &vpcProps)
		synthesized, inVpc = testutil.Synth(t, stack), testutil.Synth(t, vpcStack)
	}
	return synthesized
}

// buildEnv is the build project's environment.
func buildEnv(tpl testutil.Template, t *testing.T) map[string]string {
	env := map[string]string{}
	for _, v := range tpl.One(t, "AWS::CodeBuild::Project").Properties["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		vm := v.(map[string]any)
		env[vm["Name"].(string)] = testutil.Render(vm["Value"])
	}
	return env
}

// In a VPC, the build tells the pipeline the jobs' subnets and the security group
// created for them (no inbound rule), and the pipeline role creates network
// interfaces there only; outside one, it says nothing of a network.
func TestInAVpcTheJobsRunInItsSubnets(t *testing.T) {
	assert.NotContains(t, buildEnv(buildTemplate(t), t), modelbuild.EnvSubnetIDs)
	assert.Empty(t, buildTemplate(t).Resources("AWS::EC2::SecurityGroup"))
	sg := inVpc.One(t, "AWS::EC2::SecurityGroup")
	assert.Equal(t, "SageMaker pipeline jobs and ModelBuild builds of project churn-p-churn0001", sg.Properties["GroupDescription"])
	vpc := inVpc.One(t, "AWS::CodeBuild::Project").Properties["VpcConfig"].(map[string]any)
	assert.Equal(t, "vpc-0a1b2c3d", vpc["VpcId"])
	assert.Equal(t, []any{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}, vpc["Subnets"])
	assert.Equal(t, []any{map[string]any{"Fn::GetAtt": []any{sg.LogicalID, "GroupId"}}}, vpc["SecurityGroupIds"])
	assert.NotContains(t, buildTemplate(t).One(t, "AWS::CodeBuild::Project").Properties, "VpcConfig")
	var policy string
	for _, r := range inVpc.Resources("AWS::IAM::Policy") {
		if strings.Contains(r.LogicalID, "NetworkPolicy") {
			policy = r.LogicalID
		}
	}
	require.NotEmpty(t, policy, "the build role's network policy")
	assert.Contains(t, inVpc.One(t, "AWS::CodeBuild::Project").Raw["DependsOn"], policy, "CodeBuild checks the role's network permissions when the project is created")
	assert.NotContains(t, sg.Properties, "SecurityGroupIngress")
	env := buildEnv(inVpc, t)
	assert.Equal(t, "subnet-0a1b2c3d,subnet-0a1b2c3e", env[modelbuild.EnvSubnetIDs])
	assert.Equal(t, "${"+sg.LogicalID+".GroupId}", env[modelbuild.EnvSecurityGroupIDs])
	role := inVpc.Named(t, "AWS::IAM::Role", "Description", "SageMaker pipeline and job execution role of project churn-p-churn0001")
	st := inVpc.RoleStatements(role.LogicalID)
	fill := testutil.Filler(map[string]string{sg.LogicalID + ".GroupId": "sg-0a1b2c3d"})
	assert.True(t, testutil.Allows(st, fill, "ec2:CreateNetworkInterface", "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0a1b2c3d", nil))
	assert.True(t, testutil.Allows(st, fill, "ec2:CreateNetworkInterface", "arn:aws:ec2:eu-west-1:111111111111:subnet/subnet-0a1b2c3e", nil))
	assert.False(t, testutil.Allows(st, fill, "ec2:CreateNetworkInterface", "arn:aws:ec2:eu-west-1:111111111111:subnet/subnet-0f0f0f0f", nil))
}

// The documented defaults hold on the construct: ml.m5.xlarge for both steps, builds of
// at most 480 minutes, logs kept three months.
func TestTheDefaultsAreTheDocumentedOnes(t *testing.T) {
	tpl := buildTemplate(t)
	build := tpl.One(t, "AWS::CodeBuild::Project")
	assert.Equal(t, 480.0, build.Properties["TimeoutInMinutes"])
	env := buildEnv(tpl, t)
	assert.Equal(t, modelbuild.DefaultInstanceType, env["PROCESSING_INSTANCE_TYPE"])
	assert.Equal(t, modelbuild.DefaultInstanceType, env["TRAINING_INSTANCE_TYPE"])
	assert.Equal(t, "Churn-Models", env["MODEL_PACKAGE_GROUP_NAME"])
	assert.Equal(t, "team-ml-artifacts", env["ARTIFACT_BUCKET"])
	logs := tpl.One(t, "AWS::Logs::LogGroup")
	assert.Equal(t, 90.0, logs.Properties["RetentionInDays"])
}

// The pipeline role registers versions in the team's group only, and uses the team's
// bucket and key.
func TestThePipelineRoleUsesTheTeamsRegistryAndBucket(t *testing.T) {
	tpl := buildTemplate(t)
	role := tpl.Named(t, "AWS::IAM::Role", "Description", "SageMaker pipeline and job execution role of project churn-p-churn0001")
	granted := map[string][]string{}
	for _, s := range tpl.RoleStatements(role.LogicalID) {
		for _, a := range s.Actions {
			granted[a] = append(granted[a], s.Resources...)
		}
	}
	assert.ElementsMatch(t, []string{
		"arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/Churn-Models",
		"arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-models/*",
	}, granted["sagemaker:CreateModelPackage"])
	assert.Equal(t, []string{"arn:aws:s3:::team-ml-artifacts/*"}, granted["s3:PutObject"])
	assert.Equal(t, []string{"arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, granted["kms:CreateGrant"])
	// The quality checks: Model Monitor's analyzer image, and the group's latest
	// Approved version, whose baselines they check against.
	assert.Contains(t, granted["ecr:BatchGetImage"], "arn:aws:ecr:eu-west-1:*:repository/sagemaker-model-monitor-analyzer")
	assert.Equal(t, []string{"*"}, granted["sagemaker:ListModelPackages"])
	assert.Contains(t, granted["sagemaker:DescribeModelPackage"], "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-models/*")
}

// The actions run as the pipeline's role, which holds what they need: CDK's default of
// one role per action, each assumable by the pipeline's role, would add two roles and
// two policies that bound nothing the pipeline's role could not reach anyway.
func TestTheActionsRunAsThePipelinesRole(t *testing.T) {
	tpl := buildTemplate(t)
	pipeline := tpl.One(t, "AWS::CodePipeline::Pipeline")
	assert.Equal(t, map[string]string{"Source/Source": "", "Build/BuildAndRunSageMakerPipeline": ""}, testutil.ActionRoles(pipeline))
	role := strings.TrimSuffix(strings.TrimPrefix(testutil.Render(pipeline.Properties["RoleArn"]), "${"), ".Arn}")
	granted := map[string]bool{}
	for _, s := range tpl.RoleStatements(role) {
		for _, a := range s.Actions {
			granted[a] = true
		}
	}
	for _, action := range []string{"codecommit:GetBranch", "codecommit:UploadArchive", "codebuild:StartBuild", "codebuild:BatchGetBuilds"} {
		assert.True(t, granted[action], "the pipeline role may %s", action)
	}
	assert.False(t, granted["sts:AssumeRole"], "there is no action role to assume")
}

func TestBadPropsPanicWithWhatIsAllowed(t *testing.T) {
	app := testutil.NewApp(t, "", nil)
	for name, tc := range map[string]struct {
		change func(*modelbuild.ModelBuildProps)
		want   string
	}{
		"no registry":        {func(p *modelbuild.ModelBuildProps) { p.Registry = nil }, "ModelBuildProps.Repository, Artifacts and Registry are required"},
		"no artifacts":       {func(p *modelbuild.ModelBuildProps) { p.Artifacts = nil }, "ModelBuildProps.Repository, Artifacts and Registry are required"},
		"an invalid project": {func(p *modelbuild.ModelBuildProps) { p.Project.ID = "p_1" }, `projectId "p_1" is invalid: use "p-" followed by 1-12 lowercase letters or digits (pattern ^p-[a-z0-9]{1,12}$)`},
		"subnets without a VPC": {func(p *modelbuild.ModelBuildProps) {
			p.Network.SubnetIDs = []string{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}
		},
			`ModelBuildProps.Network: network.Placement: VpcID "" must be a VPC id: vpc- and 8 or 17 hexadecimal digits`},
	} {
		stack := awscdk.NewStack(app, jsii.String("Refusals"+strings.ReplaceAll(name, " ", "")), &awscdk.StackProps{Env: env})
		props := teamProps(stack)
		tc.change(&props)
		assert.PanicsWithValue(t, tc.want, func() { modelbuild.NewModelBuild(stack, "ModelBuild", &props) }, name)
	}
}

// The ModelBuild pipeline of a team's own repository, bucket and registry.
func ExampleNewModelBuild() {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Build"), &awscdk.StackProps{Env: env})
	props := teamProps(stack)
	build := modelbuild.NewModelBuild(stack, "ModelBuild", &props)
	fmt.Println(*build.Pipeline.Node().Path(), *build.PipelineRole.Node().Path())
	// Output:
	// Build/ModelBuild/Pipeline Build/ModelBuild/SageMakerPipelineRole
}
