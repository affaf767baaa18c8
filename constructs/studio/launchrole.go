package studio

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// Permission is one statement of the launch role: what CloudFormation does with it
// while it creates, updates or deletes a project's stack, on which resources, and
// why that is enough.
type Permission struct {
	// Sid names the statement.
	Sid string
	// Reason says what in a project's template needs it.
	Reason string
	// Actions are the IAM actions.
	Actions []string
	// Resources are the ARN patterns the actions are allowed on.
	Resources []*string
	// Conditions narrow the statement further.
	Conditions map[string]any
}

// Names the launch role's resource patterns rely on. Every project resource is named
// after the project's id (`p-` then lowercase letters and digits); a project name may
// carry capitals, so patterns hold `*` where it appears.
const (
	// projectBucket matches the artifact bucket `sagemaker-project-<id>` (and the key
	// alias after `alias/`).
	projectBucket = "sagemaker-project-p-*"
	// projectNamed matches `sagemaker-<name>-<id>-<suffix>`: build projects,
	// pipelines, repositories.
	projectNamed = "sagemaker-*-p-*"
	// generatedNamed matches what NameResources names, `sagemaker-<id>-...`: the
	// access-log bucket, rules, functions, log groups, state machines, code
	// repositories.
	generatedNamed = namePrefix + "p-*"
)

// LaunchPermissions are the launch role's statements for templates published in
// scope's account and region; boundary is the ARN every role a project creates must
// carry as its permissions boundary; networked templates place projects in a VPC,
// whose security groups the role then manages (NetworkLaunchPermissions).
func LaunchPermissions(scope constructs.IConstruct, boundary *string, networked bool) []Permission {
	stack := awscdk.Stack_Of(scope)
	// arn formats an ARN in the stack's partition, region and account; S3 ARNs have
	// neither region nor account, IAM ARNs no region.
	arn := func(service, resource string, format awscdk.ArnFormat) *string {
		c := &awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ArnFormat: format}
		switch service {
		case "s3":
			c.Region, c.Account = jsii.String(""), jsii.String("")
		case "iam":
			c.Region = jsii.String("")
		}
		return stack.FormatArn(c)
	}
	slash, colon, none := awscdk.ArnFormat_SLASH_RESOURCE_NAME, awscdk.ArnFormat_COLON_RESOURCE_NAME, awscdk.ArnFormat_NO_RESOURCE_NAME
	projectRoles := arn("iam", "role"+rolePathPrefix+"p-*", none)
	withBoundary := map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": boundary}}
	taggedKeys := map[string]any{"StringLike": map[string]any{"aws:ResourceTag/sagemaker:project-id": "p-*"}}
	bucketName := awscdk.Fn_Sub(jsii.String(TemplatesBucketName), nil)
	permissions := []Permission{
		{
			Sid:       "ReadPublishedAssets",
			Reason:    "CloudFormation reads the seed code of CodeCommit repositories and the code of Lambda functions from the published assets, with the launch role's credentials.",
			Actions:   []string{"s3:GetObject", "s3:GetObjectVersion"},
			Resources: []*string{jsii.String("arn:" + *stack.Partition() + ":s3:::" + *bucketName + "/" + AssetsPrefix + "*")},
		},
		{
			Sid:    "ProjectBuckets",
			Reason: "The artifact bucket sagemaker-project-<id> and its access-log bucket: created, configured (encryption, versioning, lifecycle, logging, public access block, ownership, policy, tags), read back and, with removalPolicy destroy, deleted.",
			Actions: []string{
				"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket",
				"s3:PutBucketTagging", "s3:GetBucketTagging", "s3:TagResource", "s3:UntagResource", "s3:ListTagsForResource", "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
				"s3:PutBucketVersioning", "s3:GetBucketVersioning", "s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration",
				"s3:PutBucketLogging", "s3:GetBucketLogging", "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock",
				"s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls", "s3:GetBucketAcl",
				"s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy",
				"s3:GetAccelerateConfiguration", "s3:GetAnalyticsConfiguration", "s3:GetBucketCORS", "s3:GetBucketNotification",
				"s3:GetBucketObjectLockConfiguration", "s3:GetBucketWebsite", "s3:GetIntelligentTieringConfiguration",
				"s3:GetInventoryConfiguration", "s3:GetMetricsConfiguration", "s3:GetReplicationConfiguration",
				"s3:GetBucketAbac", "s3:GetBucketMetadataTableConfiguration",
			},
			Resources: []*string{arn("s3", projectBucket, none), arn("s3", generatedNamed, none)},
		},
		{
			Sid:       "CreateProjectKeys",
			Reason:    "The project key: a new key has no ARN before it exists, so creating one cannot be scoped; the key policy is set in the same call. Listing aliases supports no resource-level permissions.",
			Actions:   []string{"kms:CreateKey", "kms:ListAliases"},
			Resources: []*string{jsii.String("*")},
		},
		{
			Sid:       "SetUpProjectKeys",
			Reason:    "The project key, while it is created: rotation on, tags, and the reads CloudFormation makes of it. None of these can change who may use a key.",
			Actions:   []string{"kms:EnableKeyRotation", "kms:TagResource", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"},
			Resources: []*string{arn("kms", "key/*", slash)},
		},
		{
			Sid:        "ChangeProjectKeys",
			Reason:     "The project key, on updates and deletion (removalPolicy destroy): only keys tagged with a SageMaker project id.",
			Actions:    []string{"kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion", "kms:UntagResource", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"},
			Resources:  []*string{arn("kms", "key/*", slash)},
			Conditions: taggedKeys,
		},
		{
			Sid:       "ProjectKeyAliases",
			Reason:    "The project key's alias alias/sagemaker-project-<id>.",
			Actions:   []string{"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"},
			Resources: []*string{arn("kms", "alias/"+projectBucket, slash)},
		},
		{
			Sid:        "CreateBoundedProjectRoles",
			Reason:     "The project's roles, all under /sagemaker-projects/<id>/: created, and their inline policies written, only with the projects' permissions boundary, so no role a project creates can do more than the boundary allows.",
			Actions:    []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"},
			Resources:  []*string{projectRoles},
			Conditions: withBoundary,
		},
		{
			Sid:       "AttachLambdaLogging",
			Reason:    "The roles of CDK's custom resource providers attach AWSLambdaBasicExecutionRole, and no other managed policy, still under the boundary.",
			Actions:   []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"},
			Resources: []*string{projectRoles},
			Conditions: map[string]any{
				"StringEquals": map[string]any{"iam:PermissionsBoundary": boundary},
				"ArnEquals":    map[string]any{"iam:PolicyARN": "arn:" + *stack.Partition() + ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
			},
		},
		{
			Sid:    "ManageProjectRoles",
			Reason: "The project's roles: read back, tagged, described, their trust and inline policies updated or removed, and deleted with the project. Removing a role's boundary is not allowed.",
			Actions: []string{
				"iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
				"iam:TagRole", "iam:UntagRole", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
			},
			Resources: []*string{projectRoles},
		},
		{
			Sid:       "PassProjectRoles",
			Reason:    "CloudFormation hands the project's roles to the services that run with them: CodeBuild projects, pipelines, Lambda functions, state machines and EventBridge targets.",
			Actions:   []string{"iam:PassRole"},
			Resources: []*string{projectRoles},
			Conditions: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []string{
				"codebuild.amazonaws.com", "codepipeline.amazonaws.com", "lambda.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com",
			}}},
		},
		{
			Sid:       "ProjectBuildProjects",
			Reason:    "The CodeBuild projects sagemaker-<name>-<id>-modelbuild, -modeldeploy, -testing and -seed-*.",
			Actions:   []string{"codebuild:CreateProject", "codebuild:UpdateProject", "codebuild:DeleteProject", "codebuild:BatchGetProjects"},
			Resources: []*string{arn("codebuild", "project/"+projectNamed, slash)},
		},
		{
			Sid:    "ProjectPipelines",
			Reason: "The pipelines sagemaker-<name>-<id>-modelbuild and -modeldeploy; a new pipeline starts once.",
			Actions: []string{
				"codepipeline:CreatePipeline", "codepipeline:UpdatePipeline", "codepipeline:DeletePipeline", "codepipeline:GetPipeline",
				"codepipeline:GetPipelineState", "codepipeline:TagResource", "codepipeline:UntagResource", "codepipeline:ListTagsForResource",
				"codepipeline:StartPipelineExecution", "codepipeline:EnableStageTransition", "codepipeline:DisableStageTransition",
			},
			Resources: []*string{arn("codepipeline", projectNamed, none)},
		},
		{
			Sid:        "PassConnectionsToPipelines",
			Reason:     "A third-party Git project's pipelines use the connection the data scientist gives, under either name of the service; connections are passed to CodePipeline only.",
			Actions:    []string{"codestar-connections:PassConnection"},
			Resources:  []*string{arn("codestar-connections", "connection/*", slash), arn("codeconnections", "connection/*", slash)},
			Conditions: map[string]any{"StringEquals": map[string]any{"codestar-connections:PassedToService": "codepipeline.amazonaws.com"}},
		},
		{
			Sid:        "PassCodeConnectionsToPipelines",
			Reason:     "The same, for the CodeConnections name of the action.",
			Actions:    []string{"codeconnections:PassConnection"},
			Resources:  []*string{arn("codestar-connections", "connection/*", slash), arn("codeconnections", "connection/*", slash)},
			Conditions: map[string]any{"StringEquals": map[string]any{"codeconnections:PassedToService": "codepipeline.amazonaws.com"}},
		},
		{
			Sid:    "ProjectRepositories",
			Reason: "The CodeCommit repositories sagemaker-<name>-<id>-modelbuild and -modeldeploy, created with their seed commit.",
			Actions: []string{
				"codecommit:CreateRepository", "codecommit:DeleteRepository", "codecommit:GetRepository", "codecommit:CreateCommit",
				"codecommit:UpdateRepositoryDescription", "codecommit:TagResource", "codecommit:UntagResource", "codecommit:ListTagsForResource",
				"codecommit:GetRepositoryTriggers", "codecommit:PutRepositoryTriggers",
			},
			Resources: []*string{arn("codecommit", projectNamed, none)},
		},
		{
			Sid:    "ProjectTopics",
			Reason: "The notification topic sagemaker-<name>-<id>-notifications, its policy and its email subscriptions.",
			Actions: []string{
				"sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe",
				"sns:ListSubscriptionsByTopic", "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource",
				"sns:GetDataProtectionPolicy", "sns:PutDataProtectionPolicy",
			},
			Resources: []*string{arn("sns", projectNamed, none)},
		},
		{
			Sid:    "ProjectNotificationRules",
			Reason: "The CodeStar notification rules of the pipelines (a failed execution, the production approval); their ARNs end in a generated id, so they are matched by type.",
			Actions: []string{
				"codestar-notifications:CreateNotificationRule", "codestar-notifications:UpdateNotificationRule", "codestar-notifications:DeleteNotificationRule",
				"codestar-notifications:DescribeNotificationRule", "codestar-notifications:TagResource", "codestar-notifications:UntagResource",
			},
			Resources: []*string{arn("codestar-notifications", "notificationrule/*", slash)},
		},
		{
			Sid:    "ProjectRules",
			Reason: "The EventBridge rules that start the pipelines (a push, an approved model version), named sagemaker-<id>-....",
			Actions: []string{
				"events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets", "events:RemoveTargets",
				"events:ListTargetsByRule", "events:TagResource", "events:UntagResource", "events:ListTagsForResource",
			},
			Resources: []*string{arn("events", "rule/"+generatedNamed, slash)},
		},
		{
			Sid:    "ProjectLogGroups",
			Reason: "The log groups of the CodeBuild projects (/aws/codebuild/sagemaker-<name>-<id>-...) and of the seeding functions (sagemaker-<id>-...), with retention and the project key.",
			Actions: []string{
				"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
				"logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource",
				"logs:GetDataProtectionPolicy", "logs:DescribeIndexPolicies",
			},
			Resources: []*string{arn("logs", "log-group:/aws/codebuild/"+projectNamed, colon), arn("logs", "log-group:"+generatedNamed, colon)},
		},
		{
			Sid:    "ProjectFunctions",
			Reason: "The functions of the seeding custom resource and CDK's providers, and the one that notifies failed deployments, named sagemaker-<id>-...; CloudFormation invokes the first as custom resources; EventBridge may invoke the last (its resource policy).",
			Actions: []string{
				"lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
				"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
				"lambda:TagResource", "lambda:UntagResource", "lambda:ListTags", "lambda:GetFunctionCodeSigningConfig",
				"lambda:GetRuntimeManagementConfig", "lambda:GetFunctionRecursionConfig", "lambda:GetFunctionScalingConfig", "lambda:InvokeFunction",
			},
			Resources: []*string{arn("lambda", "function:"+generatedNamed, colon)},
		},
		{
			Sid:    "ProjectStateMachines",
			Reason: "The waiter state machine of the seeding provider, named sagemaker-<id>-....",
			Actions: []string{
				"states:CreateStateMachine", "states:UpdateStateMachine", "states:DeleteStateMachine", "states:DescribeStateMachine",
				"states:TagResource", "states:UntagResource", "states:ListTagsForResource",
			},
			Resources: []*string{arn("states", "stateMachine:"+generatedNamed, colon)},
		},
		{
			Sid:       "StateMachineLogDelivery",
			Reason:    "Step Functions delivers a state machine's logs through CloudWatch Logs' log delivery, whose actions support no resource-level permissions.",
			Actions:   []string{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"},
			Resources: []*string{jsii.String("*")},
		},
		{
			Sid:    "ProjectModelGroups",
			Reason: "The model package group <name>-<id> and, with stage accounts, its resource policy.",
			Actions: []string{
				"sagemaker:CreateModelPackageGroup", "sagemaker:DeleteModelPackageGroup", "sagemaker:DescribeModelPackageGroup",
				"sagemaker:PutModelPackageGroupPolicy", "sagemaker:GetModelPackageGroupPolicy", "sagemaker:DeleteModelPackageGroupPolicy",
				"sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags",
			},
			Resources: []*string{arn("sagemaker", "model-package-group/*-p-*", slash)},
		},
		{
			Sid:    "ProjectCodeRepositories",
			Reason: "The SageMaker code repositories that show the project's repositories in Studio, named sagemaker-<id>-....",
			Actions: []string{
				"sagemaker:CreateCodeRepository", "sagemaker:UpdateCodeRepository", "sagemaker:DeleteCodeRepository", "sagemaker:DescribeCodeRepository",
				"sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags",
			},
			Resources: []*string{arn("sagemaker", "code-repository/"+generatedNamed, slash)},
		},
	}
	if networked {
		permissions = append(permissions, NetworkLaunchPermissions(scope)...)
	}
	return permissions
}

// NetworkLaunchPermissions are what the launch role needs more for templates that
// place projects in a VPC: the projects' security groups.
func NetworkLaunchPermissions(scope constructs.IConstruct) []Permission {
	taggedKeys := map[string]any{"StringLike": map[string]any{"aws:ResourceTag/sagemaker:project-id": "p-*"}}
	return []Permission{
		{
			Sid:       "CreateProjectSecurityGroups",
			Reason:    "The security groups of the builds, functions and jobs of a project in a VPC (keys vpc.*): a new group has no id to scope by.",
			Actions:   []string{"ec2:CreateSecurityGroup"},
			Resources: []*string{network.Ec2Arn(scope, "vpc", jsii.String("*")), network.Ec2Arn(scope, "security-group", jsii.String("*"))},
		},
		{
			Sid:        "TagNewProjectSecurityGroups",
			Reason:     "Tag a security group as it is created, with the project's tags, and no group that exists.",
			Actions:    []string{"ec2:CreateTags"},
			Resources:  []*string{network.Ec2Arn(scope, "security-group", jsii.String("*"))},
			Conditions: map[string]any{"StringEquals": map[string]any{"ec2:CreateAction": "CreateSecurityGroup"}},
		},
		{
			Sid:    "ManageProjectSecurityGroups",
			Reason: "Set the outbound rule of, retag and delete the security groups tagged with a project id.",
			Actions: []string{
				"ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
				"ec2:DeleteSecurityGroup", "ec2:CreateTags", "ec2:DeleteTags",
			},
			Resources:  []*string{network.Ec2Arn(scope, "security-group", jsii.String("*"))},
			Conditions: taggedKeys,
		},
		{
			Sid:       "DescribeNetworks",
			Reason:    "Read back the security groups, and let CodeBuild and Lambda check the subnets and groups of projects and functions in a VPC; EC2's Describe actions support no resource-level permissions.",
			Actions:   []string{"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances"},
			Resources: []*string{jsii.String("*")},
		},
	}
}

// wildcardFindings are how cdk-nag reports the wildcard resources of permissions, so
// that a suppression names each of them.
func wildcardFindings(scope constructs.IConstruct, permissions []Permission) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range permissions {
		for _, r := range p.Resources {
			finding := "Resource::" + nag.Text(scope, *r)
			if strings.Contains(finding, "*") && !seen[finding] {
				seen[finding] = true
				out = append(out, finding)
			}
		}
	}
	return out
}

// policyDocument turns permissions into a policy document.
func policyDocument(permissions []Permission) awsiam.PolicyDocument {
	var statements []awsiam.PolicyStatement
	for _, p := range permissions {
		props := &awsiam.PolicyStatementProps{Sid: jsii.String(p.Sid), Actions: jsii.Strings(p.Actions...), Resources: &p.Resources}
		if p.Conditions != nil {
			props.Conditions = &p.Conditions
		}
		statements = append(statements, awsiam.NewPolicyStatement(props))
	}
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements})
}
