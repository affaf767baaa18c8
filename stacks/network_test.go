package stacks_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// inVpc is a project in a VPC of its account, staging there with a security group
// created for it, prod in another account's VPC with a group of its own, its
// ModelBuild code on GitHub (so that the stack seeds it).
var inVpc = map[string]any{
	"account": "111111111111", "region": "eu-west-1", "prod.account": "333333333333",
	"modelBuild.source": "connection", "modelBuild.repository": "example-org/abalone-modelbuild",
	"modelBuild.connectionArn": "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
	"vpc.id":                   "vpc-0a1b2c3d", "vpc.subnetIds": "subnet-0a1b2c3d,subnet-0a1b2c3e",
	"build.goProxy": "https://goproxy.example.internal", "build.pipIndexUrl": "https://pypi.example.internal/simple",
	"prod.vpc.id": "vpc-0f0e0d0c", "prod.vpc.subnetIds": "subnet-0f0e0d0c,subnet-0f0e0d0d", "prod.vpc.securityGroupIds": "sg-0f0e0d0c",
}

// The deploy build is told each stage's VPC, and the deployment role, which deploys
// the local staging stack, may create the endpoint's security group in its VPC only.
func TestTheDeployBuildPlacesEachStagesEndpointInItsVpc(t *testing.T) {
	tpl := projectTemplate(t, inVpc)
	build := envVars(tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy").Properties)
	assert.Equal(t, "vpc-0a1b2c3d", build["STAGING_VPC_ID"])
	assert.Equal(t, "subnet-0a1b2c3d,subnet-0a1b2c3e", build["STAGING_SUBNET_IDS"])
	assert.NotContains(t, build, "STAGING_SECURITY_GROUP_IDS", "none given: the endpoint stack creates one")
	assert.Equal(t, "vpc-0f0e0d0c", build["PROD_VPC_ID"])
	assert.Equal(t, "sg-0f0e0d0c", build["PROD_SECURITY_GROUP_IDS"])
	assert.Equal(t, "https://goproxy.example.internal", build["GOPROXY"], "the mirrors the builds download from")
	assert.Equal(t, "https://pypi.example.internal/simple", build["PIP_INDEX_URL"])
	gate := envVars(tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-testing").Properties)
	assert.NotContains(t, gate, "GOPROXY", "the test gate downloads nothing: it runs what the Build stage compiled")
	modelBuild := envVars(tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modelbuild").Properties)
	assert.Equal(t, "https://pypi.example.internal/simple", modelBuild["PIP_INDEX_URL"])

	bySid := map[string]testutil.Statement{}
	for _, s := range tpl.RoleStatements(deploymentRole(t, tpl)) {
		bySid[s.Sid] = s
	}
	vpc := map[string]any{"ArnEquals": map[string]any{"ec2:Vpc": []any{"arn:aws:ec2:eu-west-1:111111111111:vpc/vpc-0a1b2c3d"}}}
	require.Contains(t, bySid, "CreateEndpointSecurityGroups")
	assert.Equal(t, vpc, bySid["CreateEndpointSecurityGroups"].Conditions, "only staging is deployed by this role: prod's account deploys prod")
	assert.Equal(t, []string{"arn:aws:ec2:eu-west-1:111111111111:vpc/vpc-0a1b2c3d"}, bySid["CreateEndpointSecurityGroupsInTheStagesVpcs"].Resources)
	assert.Equal(t, vpc, bySid["ManageEndpointSecurityGroups"].Conditions)
}

// Every build project and function of the project stack (the seeding's, the
// notifying one) runs in the project's subnets, once its role may create network
// interfaces there.
func TestEveryBuildAndFunctionRunsInTheVpc(t *testing.T) {
	tpl := projectTemplate(t, inVpc)
	subnets := []any{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}
	builds := tpl.Resources("AWS::CodeBuild::Project")
	require.Len(t, builds, 4, "ModelBuild, ModelDeploy, test gate, seeding")
	for _, b := range builds {
		vpc, ok := b.Properties["VpcConfig"].(map[string]any)
		require.True(t, ok, "%s has no VpcConfig", b.LogicalID)
		assert.Equal(t, "vpc-0a1b2c3d", vpc["VpcId"], b.LogicalID)
		assert.Equal(t, subnets, vpc["Subnets"], b.LogicalID)
		assert.NotEmpty(t, b.Raw["DependsOn"], b.LogicalID)
	}
	seeding := 0
	for _, f := range tpl.Resources("AWS::Lambda::Function") {
		if strings.HasPrefix(f.LogicalID, "CustomS3AutoDeleteObjects") {
			// CDK's own provider empties the deploy pipeline's bucket on deletion and
			// takes no VPC (README, Networking).
			continue
		}
		if strings.Contains(f.LogicalID, "Seed") {
			seeding++
		}
		vpc, ok := f.Properties["VpcConfig"].(map[string]any)
		require.True(t, ok, "%s has no VpcConfig", f.LogicalID)
		assert.Equal(t, subnets, vpc["SubnetIds"], f.LogicalID)
	}
	assert.GreaterOrEqual(t, seeding, 4, "the two handlers and the provider framework's functions")
	for _, sg := range tpl.Resources("AWS::EC2::SecurityGroup") {
		assert.NotContains(t, sg.Properties, "SecurityGroupIngress", sg.LogicalID)
	}
}

// Without VPC keys, nothing of the network is in the project stack.
func TestWithoutAVpcNothingIsPlaced(t *testing.T) {
	tpl := defaultTemplate(t)
	build := envVars(tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy").Properties)
	for _, v := range []string{"STAGING_VPC_ID", "STAGING_SUBNET_IDS", "PROD_VPC_ID", "GOPROXY", "PIP_INDEX_URL"} {
		assert.NotContains(t, build, v)
	}
	for _, s := range tpl.AllStatements() {
		assert.NotEqual(t, "CreateEndpointSecurityGroups", s.Sid)
	}
	assert.Empty(t, tpl.Resources("AWS::EC2::SecurityGroup"))
}
