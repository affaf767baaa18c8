package network_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
)

func TestTheRules(t *testing.T) {
	assert.NoError(t, network.CheckVpcID("vpc-0a1b2c3d"))
	assert.NoError(t, network.CheckVpcID("vpc-0a1b2c3d4e5f67890"))
	assert.EqualError(t, network.CheckVpcID("vpc-0A1B2C3D"), "must be a VPC id: vpc- and 8 or 17 hexadecimal digits")
	assert.NoError(t, network.CheckSubnetIDs([]string{"subnet-0a1b2c3d", "subnet-0a1b2c3d4e5f67890"}))
	assert.EqualError(t, network.CheckSubnetIDs([]string{"subnet-0a1b2c3d"}), "must be 2 to 16 different subnets, in different Availability Zones (SageMaker recommends endpoints in two or more), separated by commas")
	assert.EqualError(t, network.CheckSubnetIDs([]string{"vpc-0a1b2c3d", "subnet-0a1b2c3d"}), `"vpc-0a1b2c3d" must be a subnet id: subnet- and 8 or 17 hexadecimal digits`)
	assert.NoError(t, network.CheckSecurityGroupIDs(nil), "none: one is created")
	assert.EqualError(t, network.CheckSecurityGroupIDs([]string{"sg-0a1b2c3d", "sg-0a1b2c3d"}), `names "sg-0a1b2c3d" twice`)
}

func TestAPlacementNamesEachBadProp(t *testing.T) {
	assert.NoError(t, network.Placement{}.Check(), "no VPC")
	assert.False(t, network.Placement{}.IsSet())
	err := network.Placement{SubnetIDs: []string{"subnet-0a1b2c3d"}, SecurityGroupIDs: []string{"sg-x"}}.Check()
	assert.EqualError(t, err, `network.Placement: VpcID "" must be a VPC id: vpc- and 8 or 17 hexadecimal digits; `+
		`SubnetIDs "subnet-0a1b2c3d" must be 2 to 16 different subnets, in different Availability Zones (SageMaker recommends endpoints in two or more), separated by commas; `+
		`SecurityGroupIDs "sg-x" "sg-x" must be a security group id: sg- and 8 or 17 hexadecimal digits`)
}

func TestASecurityGroupNeedsAVpc(t *testing.T) {
	assert.PanicsWithValue(t, `network.NewSecurityGroup: VpcID "subnet-0a1b2c3d" must be a VPC id: vpc- and 8 or 17 hexadecimal digits`, func() {
		network.NewSecurityGroup(nil, "SecurityGroup", &network.SecurityGroupProps{VpcID: "subnet-0a1b2c3d", Description: "d"})
	})
}

func TestTheRegistryRules(t *testing.T) {
	assert.NoError(t, network.CheckPackageIndex("https://team-111111111111.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-store/simple/"))
	assert.EqualError(t, network.CheckPackageIndex("http://pypi.internal/simple"), "must be the https:// URL of a Python package index (pip's --index-url), e.g. a CodeArtifact repository's")
	assert.NoError(t, network.CheckGoProxy("https://goproxy.internal,direct"))
	assert.NoError(t, network.CheckGoProxy("https://a.internal|https://b.internal"))
	assert.EqualError(t, network.CheckGoProxy("https://goproxy.internal,off"), `"off" must be the https:// URL of a Go module proxy, or direct (GOPROXY's syntax: entries separated by commas or pipes)`)
	assert.EqualError(t, network.CheckGoProxy(" "), "must name a Go module proxy")
}
