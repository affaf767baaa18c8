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

// NewSecurityGroup creates a security group for resources that take no connection and
// only call HTTPS APIs: no inbound rule, outbound HTTPS only (to the VPC's interface
// endpoints, S3 through its gateway endpoint, and the package registries or mirrors).
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

// Ec2Arn is the ARN of the EC2 resource of type resource named name (an id, a token
// or `*`) in scope's account and region.
func Ec2Arn(scope constructs.IConstruct, resource string, name *string) *string {
	return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{Service: jsii.String("ec2"), Resource: jsii.String(resource), ResourceName: name})
}

// GrantNetworkInterfaces lets a SageMaker role create and remove the network
// interfaces of its jobs or endpoint in the placement's subnets with securityGroups
// (ids, possibly tokens): creating one needs each subnet and security group as a
// resource, so no other subnet or group can be used; the interfaces it manages are
// those of the VPC. EC2's Describe actions, and DeleteNetworkInterfacePermission,
// support no resource-level permissions.
func GrantNetworkInterfaces(grantee awsiam.IGrantable, p Placement, securityGroups []*string) awsiam.Grant {
	scope := grantee.(constructs.IConstruct)
	interfaces := Ec2Arn(scope, "network-interface", jsii.String("*"))
	create := []*string{interfaces}
	for _, subnet := range p.SubnetIDs {
		create = append(create, Ec2Arn(scope, "subnet", jsii.String(subnet)))
	}
	for _, sg := range securityGroups {
		create = append(create, Ec2Arn(scope, "security-group", sg))
	}
	grant := awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee: grantee, Actions: jsii.Strings("ec2:CreateNetworkInterface"), ResourceArns: &create,
	})
	grant = grant.Combine(awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface"),
		ResourceArns: &[]*string{interfaces},
		Conditions:   &map[string]*map[string]any{"ArnEquals": {"ec2:Vpc": *Ec2Arn(scope, "vpc", jsii.String(p.VpcID))}},
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

// Service is an AWS service whose resources this package places in a VPC with a
// policy of their own role (NewServicePolicy).
type Service string

const (
	// CodeBuild builds run in the VPC's subnets.
	CodeBuild Service = "codebuild"
	// Lambda functions run in the VPC's subnets.
	Lambda Service = "lambda"
)

// NewServicePolicy creates the policy a service's role needs to run in the
// placement's subnets, as the service documents it, attached to roles. CodeBuild may
// authorize its network interfaces in those subnets only (ec2:Subnet,
// ec2:AuthorizedService); both services check their role's permission to create and
// describe network interfaces on every resource when a project or function is
// created, so those are granted on `*`, as their documentation and AWS's managed
// policy for Lambda do. Resources that run in the VPC must depend on the policy.
func NewServicePolicy(scope constructs.Construct, id string, service Service, p Placement, roles ...awsiam.IRole) awsiam.Policy {
	var statements []awsiam.PolicyStatement
	switch service {
	case CodeBuild:
		var subnets []string
		for _, subnet := range p.SubnetIDs {
			subnets = append(subnets, *Ec2Arn(scope, "subnet", jsii.String(subnet)))
		}
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AuthorizeBuildNetworkInterfaces"),
			Actions:    jsii.Strings("ec2:CreateNetworkInterfacePermission"),
			Resources:  &[]*string{Ec2Arn(scope, "network-interface", jsii.String("*"))},
			Conditions: &map[string]any{"StringEquals": map[string]any{"ec2:Subnet": subnets, "ec2:AuthorizedService": "codebuild.amazonaws.com"}},
		}), awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("BuildNetworkInterfaces"),
			Actions: jsii.Strings("ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces",
				"ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"),
			Resources: jsii.Strings("*"),
		}))
	case Lambda:
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("FunctionNetworkInterfaces"),
			Actions: jsii.Strings("ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces",
				"ec2:DescribeSubnets", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
			Resources: jsii.Strings("*"),
		}))
	default:
		panic(fmt.Sprintf("network.NewServicePolicy: service %q is not one of %q, %q", service, CodeBuild, Lambda))
	}
	policy := awsiam.NewPolicy(scope, &id, &awsiam.PolicyProps{Roles: &roles, Statements: &statements})
	nag.Suppress(policy, nag.Rule{
		ID:                "AwsSolutions-IAM5",
		Reason:            "CodeBuild and Lambda check, when a project or function is created in a VPC, that its role may create, describe and delete network interfaces on every resource, as their documentation grants it; CodeBuild may authorize interfaces in the placement's subnets only.",
		AppliesTo:         []string{"Resource::*"},
		AppliesToPatterns: []string{nag.ArnPattern("ec2", "network-interface/*")},
	})
	return policy
}
