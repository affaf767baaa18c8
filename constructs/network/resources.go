package network

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// SecurityGroupProps configures a security group created for a placement.
type SecurityGroupProps struct {
	// VpcID is the VPC. Required.
	VpcID string
	// Description says what runs with it. Required.
	Description string
}

// NewSecurityGroup creates a security group for SageMaker resources that take no
// connection and only call AWS APIs: no inbound rule, outbound HTTPS only (to the
// VPC's interface endpoints and, through its gateway endpoint, S3).
func NewSecurityGroup(scope constructs.Construct, id string, props *SecurityGroupProps) awsec2.CfnSecurityGroup {
	if err := CheckVpcID(props.VpcID); err != nil {
		panic(fmt.Sprintf("network.NewSecurityGroup: VpcID %q %v", props.VpcID, err))
	}
	return awsec2.NewCfnSecurityGroup(scope, &id, &awsec2.CfnSecurityGroupProps{
		GroupDescription: jsii.String(props.Description),
		VpcId:            jsii.String(props.VpcID),
		SecurityGroupEgress: &[]any{&awsec2.CfnSecurityGroup_EgressProperty{
			IpProtocol: jsii.String("tcp"), FromPort: jsii.Number(443), ToPort: jsii.Number(443),
			CidrIp: jsii.String("0.0.0.0/0"), Description: jsii.String("HTTPS to AWS APIs through the VPC's endpoints"),
		}},
	})
}

// SecurityGroupIDs are the placement's security groups, or, when it names none, the id
// of one created in scope with NewSecurityGroup.
func SecurityGroupIDs(scope constructs.Construct, id string, p Placement, description string) []*string {
	if len(p.SecurityGroupIDs) > 0 {
		return *jsii.Strings(p.SecurityGroupIDs...)
	}
	sg := NewSecurityGroup(scope, id, &SecurityGroupProps{VpcID: p.VpcID, Description: description})
	return []*string{sg.AttrGroupId()}
}

// GrantNetworkInterfaces lets a SageMaker role create and remove the network
// interfaces of its jobs or endpoint in the placement's subnets with securityGroups
// (ids, possibly tokens): creating one needs each subnet and security group as a
// resource, so no other subnet or group can be used; the interfaces it manages are
// those of the VPC. EC2's Describe actions, and DeleteNetworkInterfacePermission,
// support no resource-level permissions.
func GrantNetworkInterfaces(grantee awsiam.IGrantable, p Placement, securityGroups []*string) awsiam.Grant {
	stack := awscdk.Stack_Of(grantee.(constructs.IConstruct))
	arn := func(resource, name string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ec2"), Resource: jsii.String(resource), ResourceName: jsii.String(name)})
	}
	interfaces := arn("network-interface", "*")
	create := []*string{interfaces}
	for _, subnet := range p.SubnetIDs {
		create = append(create, arn("subnet", subnet))
	}
	for _, sg := range securityGroups {
		create = append(create, stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ec2"), Resource: jsii.String("security-group"), ResourceName: sg}))
	}
	grant := awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee: grantee, Actions: jsii.Strings("ec2:CreateNetworkInterface"), ResourceArns: &create,
	})
	grant = grant.Combine(awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface"),
		ResourceArns: &[]*string{interfaces},
		Conditions:   &map[string]*map[string]any{"ArnEquals": {"ec2:Vpc": *arn("vpc", p.VpcID)}},
	}))
	return grant.Combine(awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee: grantee,
		Actions: jsii.Strings("ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
			"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DeleteNetworkInterfacePermission"),
		ResourceArns: jsii.Strings("*"),
	}))
}

// SuppressNetworkInterfaceFindings records on role why GrantNetworkInterfaces's
// wildcards are needed.
func SuppressNetworkInterfaceFindings(role constructs.IConstruct) {
	nag.Suppress(role, nag.Rule{
		ID:                "AwsSolutions-IAM5",
		Reason:            "SageMaker creates its network interfaces under generated ids: it may create them only in the placement's subnets with its security groups (each named as a resource) and manage those of the VPC only (ec2:Vpc); EC2's Describe actions and DeleteNetworkInterfacePermission support no resource-level permissions.",
		AppliesTo:         []string{"Resource::*"},
		AppliesToPatterns: []string{nag.ArnPattern("ec2", "network-interface/*")},
	})
}
