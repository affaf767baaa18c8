package stacks_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// inVpc is a project in a VPC of its account, staging there with a security group
// created for it, prod in another account's VPC with a group of its own.
var inVpc = map[string]any{
	"account": "111111111111", "region": "eu-west-1", "prod.account": "333333333333",
	"vpc.id": "vpc-0a1b2c3d", "vpc.subnetIds": "subnet-0a1b2c3d,subnet-0a1b2c3e",
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

// Without VPC keys, nothing of the network is in the project stack.
func TestWithoutAVpcNothingIsPlaced(t *testing.T) {
	tpl := defaultTemplate(t)
	build := envVars(tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy").Properties)
	for _, v := range []string{"STAGING_VPC_ID", "STAGING_SUBNET_IDS", "PROD_VPC_ID"} {
		assert.NotContains(t, build, v)
	}
	for _, s := range tpl.AllStatements() {
		assert.NotEqual(t, "CreateEndpointSecurityGroups", s.Sid)
	}
	assert.Empty(t, tpl.Resources("AWS::EC2::SecurityGroup"))
}
