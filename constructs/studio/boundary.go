package studio

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// BoundaryPermissions are the statements of the permissions boundary that every role
// of a project created from the templates carries, and that every role its
// deployment role creates must carry too: the most any of them may do, whatever its
// own policy says. A role's own policy grants far less (the Go tests check each of
// them); the boundary's job is that no project role can manage IAM beyond the
// project's own roles, nor leave the boundary. For networked templates (projects in a
// VPC) it also admits the network interfaces and security groups of the projects.
func BoundaryPermissions(scope constructs.IConstruct, boundary *string, networked bool) []Permission {
	stack := awscdk.Stack_Of(scope)
	role := func(pattern string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"), ResourceName: jsii.String(pattern)})
	}
	// The project's roles, and the model roles its endpoint stacks create under
	// /sagemaker-project-<id>/.
	projectRoles := role(rolePathPrefix[1:] + "p-*")
	modelRoles := role("sagemaker-project-p-*")
	permissions := []Permission{
		{
			Sid:    "ProjectServices",
			Reason: "What the project's pipelines, builds, jobs, endpoints and custom resources use: SageMaker, S3, KMS, logs and metrics, CodeBuild, CodePipeline, CodeCommit and connections, EventBridge, Step Functions, the CloudFormation stacks of the endpoints, endpoint autoscaling, built-in images, the roles of pipeline actions and stage accounts, and publishing to the project's notification topic.",
			Actions: []string{
				"sagemaker:*", "s3:*", "kms:*", "logs:*", "cloudwatch:*", "codebuild:*", "codepipeline:*", "codecommit:*",
				"codestar-connections:UseConnection", "codeconnections:UseConnection", "events:*", "states:*", "lambda:InvokeFunction",
				"cloudformation:*", "application-autoscaling:*", "sts:AssumeRole", "sns:Publish",
				"ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability",
			},
			Resources: []*string{jsii.String("*")},
		},
		{
			Sid:       "PassProjectRoles",
			Reason:    "A project passes its own roles only: the pipeline's roles to its jobs, builds and CloudFormation actions, the model roles to SageMaker.",
			Actions:   []string{"iam:PassRole", "iam:GetRole"},
			Resources: []*string{projectRoles, modelRoles},
		},
		{
			Sid:    "ManageModelRoles",
			Reason: "The deployment role keeps the endpoint stacks' model roles, under /sagemaker-project-<id>/.",
			Actions: []string{
				"iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
				"iam:TagRole", "iam:UntagRole", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
			},
			Resources: []*string{modelRoles},
		},
		{
			Sid:        "CreateBoundedModelRoles",
			Reason:     "The deployment role creates model roles, and writes their policies, only with this boundary.",
			Actions:    []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"},
			Resources:  []*string{modelRoles},
			Conditions: map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": boundary}},
		},
		{
			Sid:        "EndpointAutoscalingRole",
			Reason:     "Endpoint autoscaling needs SageMaker's service-linked role for Application Auto Scaling, created once per account.",
			Actions:    []string{"iam:CreateServiceLinkedRole"},
			Resources:  []*string{role("aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")},
			Conditions: map[string]any{"StringLike": map[string]any{"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}},
		},
	}
	if networked {
		permissions = append(permissions, networkBoundary())
	}
	return permissions
}

// networkBoundary admits the network interfaces of a project in a VPC (each role's
// own policy scopes them to the project's subnets and groups), and the endpoints'
// security groups the deployment role creates.
func networkBoundary() Permission {
	return Permission{
		Sid:    "ProjectNetworkInterfaces",
		Reason: "A project in a VPC: the network interfaces of its builds, functions, jobs and endpoints, and the endpoints' security groups the deployment role creates; each role's own policy scopes them to the project's subnets and groups.",
		Actions: []string{
			"ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission",
			"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
			"ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
			"ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:DeleteSecurityGroup",
			"ec2:CreateTags", "ec2:DeleteTags",
		},
		Resources: []*string{jsii.String("*")},
	}
}

// UserPermissions are what a Studio user's execution role needs to create, update
// and delete projects from the templates published in bucket, with launchRole: list
// and read the templates and their tags (Studio shows only tagged ones), pass the
// launch role to CloudFormation, and run the project stacks SageMaker creates for
// them (named SP-..., as AWS's own sample policy for S3 templates grants).
func UserPermissions(scope constructs.IConstruct, bucketArn, launchRole *string) []Permission {
	stack := awscdk.Stack_Of(scope)
	return []Permission{
		{
			Sid:        "ListTemplates",
			Reason:     "Studio lists the templates under the location the domain's tag names.",
			Actions:    []string{"s3:ListBucket"},
			Resources:  []*string{bucketArn},
			Conditions: map[string]any{"StringLike": map[string]any{"s3:prefix": []string{TemplatesPrefix, TemplatesPrefix + "*"}}},
		},
		{
			Sid:       "ReadTemplates",
			Reason:    "Studio reads a template to draw its form, and its tags to decide whether to show it; CloudFormation reads it with the caller's credentials.",
			Actions:   []string{"s3:GetObject", "s3:GetObjectTagging"},
			Resources: []*string{jsii.String(*bucketArn + "/" + TemplatesPrefix + "*")},
		},
		{
			Sid:        "PassLaunchRole",
			Reason:     "CreateProject hands the launch role to CloudFormation.",
			Actions:    []string{"iam:PassRole"},
			Resources:  []*string{launchRole},
			Conditions: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}},
		},
		{
			Sid:       "ProjectStacks",
			Reason:    "SageMaker creates, updates and deletes a project's stack, named SP-..., on the user's behalf.",
			Actions:   []string{"cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents"},
			Resources: []*string{stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String("SP-*")})},
		},
		{
			Sid:       "ReadTemplateSummaries",
			Reason:    "SageMaker validates a template before it creates the stack; these actions support no resource-level permissions.",
			Actions:   []string{"cloudformation:GetTemplateSummary", "cloudformation:ValidateTemplate"},
			Resources: []*string{jsii.String("*")},
		},
	}
}
