package stacks_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// notNeeded are the actions that CloudFormation's resource providers list for a type
// (cfn-lint ships their schemas) but that a project's templates never make it call:
// they serve properties the templates do not set. The launch role does not have them.
var notNeeded = map[string]map[string]string{
	"*": {
		"elasticfilesystem:": "no function mounts a file system", "s3files:": "no function mounts a file system",
		"s3tables:": "no bucket has metadata tables", "firehose:": "no log group delivers to Firehose",
		"s3:REST.PUT.OBJECT": "not an IAM action",
	},
	"AWS::S3::Bucket": {
		"s3:CreateBucketMetadataTableConfiguration": "no metadata tables", "s3:DeleteBucketMetadataTableConfiguration": "no metadata tables",
		"s3:UpdateBucketMetadataAnnotationTableConfiguration": "no metadata tables", "s3:UpdateBucketMetadataInventoryTableConfiguration": "no metadata tables",
		"s3:UpdateBucketMetadataJournalTableConfiguration": "no metadata tables",
		"s3:PutAnalyticsConfiguration":                     "no analytics", "s3:DeleteBucketAnalyticsConfiguration": "no analytics",
		"s3:PutBucketCORS": "no CORS rule", "s3:DeleteBucketCors": "no CORS rule",
		"s3:DeleteBucketEncryption": "the encryption is never removed", "s3:DeleteBucketLifecycle": "the lifecycle rules are never removed",
		"s3:PutMetricsConfiguration": "no request metrics", "s3:DeleteBucketMetricsConfiguration": "no request metrics",
		"s3:PutBucketReplication": "no replication", "s3:PutReplicationConfiguration": "no replication", "s3:DeleteBucketReplication": "no replication",
		"iam:PassRole":        "no replication role",
		"s3:PutBucketWebsite": "no website", "s3:DeleteBucketWebsite": "no website",
		"s3:PutAccelerateConfiguration": "no transfer acceleration", "s3:PutBucketNotification": "no event notifications",
		"s3:PutInventoryConfiguration": "no inventory", "s3:PutIntelligentTieringConfiguration": "no Intelligent-Tiering archive",
		"s3:PutBucketObjectLockConfiguration": "no object lock", "s3:PutObjectLockConfiguration": "no object lock",
		"s3:PutBucketAcl": "ACLs are disabled (bucket owner enforced) or CDK grants log delivery by bucket policy", "s3:PutObjectAcl": "ACLs are disabled",
		"s3:PutBucketAbac": "no attribute-based access control of the bucket",
		"s3:DeleteObject":  "the launch role never deletes data: emptying a bucket (removalPolicy destroy) is the auto-delete function's, with its own role",
	},
	"AWS::EC2::SecurityGroup": {
		"ec2:AuthorizeSecurityGroupIngress": "no group has an inbound rule", "ec2:RevokeSecurityGroupIngress": "no inbound rule",
		"ec2:UpdateSecurityGroupRuleDescriptionsIngress": "no inbound rule",
	},
	"AWS::CodeCommit::Repository": {
		"codecommit:ListRepositories":              "only Cloud Control's list handler lists repositories",
		"codecommit:UpdateRepositoryName":          "the name is fixed by the project",
		"codecommit:UpdateRepositoryEncryptionKey": "repositories use CodeCommit's own key",
	},
	"AWS::IAM::Policy": {
		"iam:PutGroupPolicy": "policies are attached to roles only", "iam:DeleteGroupPolicy": "roles only", "iam:GetGroupPolicy": "roles only",
		"iam:PutUserPolicy": "roles only", "iam:DeleteUserPolicy": "roles only", "iam:GetUserPolicy": "roles only",
	},
	"AWS::IAM::Role": {
		"iam:DeleteRolePermissionsBoundary": "it would lift the boundary from a project role",
	},
	"AWS::KMS::Key": {
		"kms:DisableKey": "the key is never disabled", "kms:EnableKey": "the key is never disabled",
		"kms:DisableKeyRotation": "rotation stays on",
	},
	"AWS::Lambda::Function": {
		"kms:CreateGrant": "no function has a key of its own", "kms:Decrypt": "no key of its own", "kms:Encrypt": "no key of its own",
		"kms:GenerateDataKey": "no key of its own", "kms:DescribeKey": "no key of its own",
		"lambda:AssociateRuntimeAlias": "no runtime alias", "lambda:PassCapacityProvider": "no capacity provider",
		"lambda:GetCodeSigningConfig": "no code signing", "lambda:PutFunctionCodeSigningConfig": "no code signing", "lambda:DeleteFunctionCodeSigningConfig": "no code signing",
		"lambda:PutFunctionConcurrency": "no reserved concurrency", "lambda:DeleteFunctionConcurrency": "no reserved concurrency",
		"lambda:PutFunctionScalingConfig": "no scaling configuration", "lambda:PutRuntimeManagementConfig": "runtime updates stay automatic",
		"lambda:PutFunctionRecursionConfig": "recursion detection stays on", "lambda:GetLayerVersion": "no layers", "lambda:PublishVersion": "no published versions",
	},
	"AWS::Logs::LogGroup": {
		"logs:PutDataProtectionPolicy": "no data protection policy", "logs:DeleteDataProtectionPolicy": "no data protection policy",
		"logs:PutIndexPolicy": "no field index policy", "logs:DeleteIndexPolicy": "no field index policy",
		"logs:PutBearerTokenAuthentication": "no bearer token", "logs:PutLogGroupDeletionProtection": "no deletion protection",
		"logs:DeleteResourcePolicy": "no resource policy of a log group",
	},
	"AWS::StepFunctions::StateMachine": {
		"s3:GetObject": "the definition is inline", "s3:GetObjectVersion": "the definition is inline",
		"kms:Decrypt": "no key of its own", "kms:GenerateDataKey": "no key of its own", "kms:DescribeKey": "no key of its own",
	},
}

// codeBuildActions stand in for the CodeBuild project's handler permissions, which the
// registry does not publish (it is one of CloudFormation's own older resource types).
var codeBuildActions = []string{"codebuild:CreateProject", "codebuild:UpdateProject", "codebuild:DeleteProject", "codebuild:BatchGetProjects", "iam:PassRole"}

// roleServices is who CloudFormation passes a resource type's role to.
var roleServices = map[string]string{
	"AWS::CodeBuild::Project": "codebuild.amazonaws.com", "AWS::CodePipeline::Pipeline": "codepipeline.amazonaws.com",
	"AWS::Lambda::Function": "lambda.amazonaws.com", "AWS::StepFunctions::StateMachine": "states.amazonaws.com",
	"AWS::Events::Rule": "events.amazonaws.com",
}

// launchRole is the launch role's statements, and the boundary's ARN, of the
// publishing stack of the configuration context.
func launchRole(t *testing.T, context map[string]any) ([]testutil.Statement, string) {
	pub := studioTemplates(t, context).publisher
	role := pub.Named(t, "AWS::IAM::Role", "RoleName", "sagemaker-mlops-projects-launch-${AWS::Region}")
	trust := pub.Resource(t, role.LogicalID).Properties["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
	require.Len(t, trust, 1)
	assert.Equal(t, map[string]any{"Service": "cloudformation.amazonaws.com"}, trust[0].(map[string]any)["Principal"], "only CloudFormation assumes it")
	var statements []testutil.Statement
	for _, ref := range asAnyList(role.Properties["ManagedPolicyArns"]) {
		id := strings.Trim(testutil.Render(ref), "${}")
		statements = append(statements, pub.ManagedPolicyStatements(t, id)...)
	}
	require.NotEmpty(t, statements)
	boundary := pub.Named(t, "AWS::IAM::ManagedPolicy", "ManagedPolicyName", "sagemaker-mlops-projects-boundary-${AWS::Region}")
	require.NotEmpty(t, boundary.Properties)
	return statements, testutil.Filler(sampleProject)("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/sagemaker-mlops-projects-boundary-${AWS::Region}")
}

// request is one call CloudFormation makes with the launch role.
type request struct {
	action, resource string
	context          map[string]string
}

// requests are the calls CloudFormation makes with the launch role to create,
// update, read and delete the resources of tpl, for the sample project: each handler
// permission of each resource's type, on that resource (or the role it passes, or the
// object it reads), with the condition keys IAM would see.
func requests(t *testing.T, tpl testutil.Template, schemas map[string]testutil.ResourceSchema, inVpc bool) []request {
	fill := testutil.Filler(sampleProject)
	arns := resourceArns(tpl, fill)
	values := map[string]string{}
	for id, arn := range arns {
		values[id], values[id+".Arn"] = arn, arn
		if strings.HasPrefix(arn, "arn:aws:s3:::") {
			values[id] = strings.TrimPrefix(arn, "arn:aws:s3:::") // a Ref to a bucket is its name
		}
	}
	lookup := func(v any) string { return testutil.Filler(values)(fill(testutil.Render(v))) }
	var out []request
	for id, raw := range tpl["Resources"].(map[string]any) {
		r := raw.(map[string]any)
		typ := r["Type"].(string)
		props, _ := r["Properties"].(map[string]any)
		self := arns[id]
		context := map[string]string{}
		if pb, ok := props["PermissionsBoundary"]; ok {
			context["iam:PermissionsBoundary"] = lookup(pb)
		}
		for _, tag := range asAnyList(props["Tags"]) {
			m := tag.(map[string]any)
			context["aws:ResourceTag/"+testutil.Render(m["Key"])] = lookup(m["Value"])
		}
		if strings.HasPrefix(typ, "Custom::") {
			out = append(out, request{"lambda:InvokeFunction", lookup(props["ServiceToken"]), nil})
			continue
		}
		actions := codeBuildActions
		if typ != "AWS::CodeBuild::Project" {
			schema, ok := schemas[typ]
			require.True(t, ok, "no schema of %s", typ)
			actions = nil
			for _, handler := range []string{"create", "read", "update", "delete"} {
				actions = append(actions, schema.Permissions[handler]...)
			}
		}
		for _, action := range unique(actions) {
			if reason := excluded(typ, action); reason != "" || (!inVpc && strings.HasPrefix(action, "ec2:")) {
				// Outside a VPC, no resource of a project needs EC2.
				continue
			}
			switch {
			case action == "iam:GetRole" && typ != "AWS::IAM::Role":
				for _, role := range passedRoles(typ, props) {
					out = append(out, request{action, lookup(role), nil})
				}
			case action == "iam:PassRole":
				for _, role := range passedRoles(typ, props) {
					out = append(out, request{action, lookup(role), map[string]string{"iam:PassedToService": roleServices[typ]}})
				}
			case action == "s3:GetObject" || action == "s3:GetObjectVersion":
				if object := codeObject(typ, props, lookup); object != "" { // inline code reads no object
					out = append(out, request{action, "arn:aws:s3:::" + object, nil})
				}
			case strings.HasSuffix(action, ":PassConnection"):
				if connection := connectionOf(props, lookup); connection != "" {
					out = append(out, request{action, connection, map[string]string{strings.Split(action, ":")[0] + ":PassedToService": "codepipeline.amazonaws.com"}})
				}
			case typ == "AWS::IAM::Policy":
				for _, role := range asAnyList(props["Roles"]) {
					out = append(out, request{action, arns[strings.Trim(testutil.Render(role), "${}")], roleContext(tpl, role, lookup)})
				}
			case typ == "AWS::IAM::Role" && (action == "iam:AttachRolePolicy" || action == "iam:DetachRolePolicy"):
				for _, policy := range asAnyList(props["ManagedPolicyArns"]) {
					out = append(out, request{action, self, merge(context, map[string]string{"iam:PolicyARN": lookup(policy)})})
				}
			case typ == "AWS::KMS::Alias":
				out = append(out, request{action, self, nil})
				if strings.HasSuffix(action, "Alias") && action != "kms:ListAliases" {
					key := strings.Trim(testutil.Render(props["TargetKeyId"]), "${}")
					key = strings.TrimSuffix(key, ".Arn")
					out = append(out, request{action, arns[key], keyContext(tpl, key, lookup)})
				}
			default:
				out = append(out, request{action, self, context})
			}
		}
	}
	return out
}

func excluded(typ, action string) string {
	for prefix, reason := range notNeeded["*"] {
		if strings.HasPrefix(action, prefix) {
			return reason
		}
	}
	return notNeeded[typ][action]
}

func unique(actions []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range actions {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// resourceArns are the ARNs of the template's resources, by logical id, as the sample
// project would have them.
func resourceArns(tpl testutil.Template, fill func(string) string) map[string]string {
	const region, account = "eu-west-1", "111111111111"
	out := map[string]string{}
	for id, raw := range tpl["Resources"].(map[string]any) {
		r := raw.(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		name := func(prop string) string {
			if v, ok := props[prop]; ok {
				return fill(testutil.Render(v))
			}
			return "SP-churn-" + id
		}
		arn := map[string]func() string{
			"AWS::S3::Bucket": func() string { return "arn:aws:s3:::" + name("BucketName") },
			"AWS::KMS::Key": func() string {
				return "arn:aws:kms:" + region + ":" + account + ":key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
			},
			"AWS::KMS::Alias":             func() string { return "arn:aws:kms:" + region + ":" + account + ":" + name("AliasName") },
			"AWS::IAM::Role":              func() string { return "arn:aws:iam::" + account + ":role" + name("Path") + name("RoleName") },
			"AWS::CodeBuild::Project":     func() string { return "arn:aws:codebuild:" + region + ":" + account + ":project/" + name("Name") },
			"AWS::CodePipeline::Pipeline": func() string { return "arn:aws:codepipeline:" + region + ":" + account + ":" + name("Name") },
			"AWS::CodeCommit::Repository": func() string {
				return "arn:aws:codecommit:" + region + ":" + account + ":" + name("RepositoryName")
			},
			"AWS::Events::Rule":     func() string { return "arn:aws:events:" + region + ":" + account + ":rule/" + name("Name") },
			"AWS::Logs::LogGroup":   func() string { return "arn:aws:logs:" + region + ":" + account + ":log-group:" + name("LogGroupName") },
			"AWS::Lambda::Function": func() string { return "arn:aws:lambda:" + region + ":" + account + ":function:" + name("FunctionName") },
			"AWS::StepFunctions::StateMachine": func() string {
				return "arn:aws:states:" + region + ":" + account + ":stateMachine:" + name("StateMachineName")
			},
			"AWS::SageMaker::ModelPackageGroup": func() string {
				return "arn:aws:sagemaker:" + region + ":" + account + ":model-package-group/" + strings.ToLower(name("ModelPackageGroupName"))
			},
			"AWS::SNS::Topic": func() string { return "arn:aws:sns:" + region + ":" + account + ":" + name("TopicName") },
			"AWS::EC2::SecurityGroup": func() string {
				return "arn:aws:ec2:" + region + ":" + account + ":security-group/sg-0b1c2d3e4f5061728"
			},
			"AWS::CodeStarNotifications::NotificationRule": func() string {
				return "arn:aws:codestar-notifications:" + region + ":" + account + ":notificationrule/0123456789abcdef0123456789abcdef01234567"
			},
			"AWS::SageMaker::CodeRepository": func() string {
				return "arn:aws:sagemaker:" + region + ":" + account + ":code-repository/" + strings.ToLower(name("CodeRepositoryName"))
			},
		}[r["Type"].(string)]
		if arn != nil {
			out[id] = arn()
		}
	}
	// A policy or permission acts on the resource it names.
	named := map[string]string{"AWS::S3::BucketPolicy": "Bucket", "AWS::Lambda::Permission": "FunctionName", "AWS::SNS::TopicPolicy": "Topics"}
	for id, raw := range tpl["Resources"].(map[string]any) {
		r := raw.(map[string]any)
		if prop, ok := named[r["Type"].(string)]; ok {
			target := r["Properties"].(map[string]any)[prop]
			if list, isList := target.([]any); isList {
				target = list[0]
			}
			out[id] = out[strings.TrimSuffix(strings.Trim(testutil.Render(target), "${}"), ".Arn")]
		}
	}
	return out
}

func passedRoles(typ string, props map[string]any) []any {
	switch typ {
	case "AWS::CodeBuild::Project":
		return []any{props["ServiceRole"]}
	case "AWS::CodePipeline::Pipeline", "AWS::StepFunctions::StateMachine":
		return []any{props["RoleArn"]}
	case "AWS::Lambda::Function":
		return []any{props["Role"]}
	case "AWS::Events::Rule":
		var roles []any
		for _, target := range asAnyList(props["Targets"]) {
			if role, ok := target.(map[string]any)["RoleArn"]; ok {
				roles = append(roles, role)
			}
		}
		return roles
	}
	return nil
}

func codeObject(typ string, props map[string]any, lookup func(any) string) string {
	if typ == "AWS::Lambda::Function" {
		code := props["Code"].(map[string]any)
		if _, inline := code["ZipFile"]; inline {
			return ""
		}
		return lookup(code["S3Bucket"]) + "/" + lookup(code["S3Key"])
	}
	s3, ok := props["Code"].(map[string]any)["S3"].(map[string]any)
	if !ok {
		return ""
	}
	return lookup(s3["Bucket"]) + "/" + lookup(s3["Key"])
}

func connectionOf(props map[string]any, lookup func(any) string) string {
	for _, stage := range asAnyList(props["Stages"]) {
		for _, action := range asAnyList(stage.(map[string]any)["Actions"]) {
			if c, ok := action.(map[string]any)["Configuration"].(map[string]any)["ConnectionArn"]; ok {
				return lookup(c)
			}
		}
	}
	return ""
}

// propertiesOf is the properties of the resource with logical id id.
func propertiesOf(tpl testutil.Template, id string) map[string]any {
	r, _ := tpl["Resources"].(map[string]any)[id].(map[string]any)
	props, _ := r["Properties"].(map[string]any)
	return props
}

func roleContext(tpl testutil.Template, role any, lookup func(any) string) map[string]string {
	boundary, ok := propertiesOf(tpl, strings.Trim(testutil.Render(role), "${}"))["PermissionsBoundary"]
	if !ok {
		return map[string]string{}
	}
	return map[string]string{"iam:PermissionsBoundary": lookup(boundary)}
}

func keyContext(tpl testutil.Template, key string, lookup func(any) string) map[string]string {
	context := map[string]string{}
	for _, tag := range asAnyList(propertiesOf(tpl, key)["Tags"]) {
		m := tag.(map[string]any)
		context["aws:ResourceTag/"+testutil.Render(m["Key"])] = lookup(m["Value"])
	}
	return context
}

// studioInVpc publishes the templates for projects that run in a VPC of the account.
var studioInVpc = map[string]any{"vpc.id": "vpc-0a1b2c3d", "vpc.subnetIds": "subnet-0a1b2c3d,subnet-0a1b2c3e"}

// The launch role lets CloudFormation make every call it makes to create, update,
// read and delete every resource of both templates, for a project whose name has
// capitals; the actions it leaves out are notNeeded's, each with its reason.
func TestTheLaunchRoleCanCreateUpdateAndDeleteEveryResourceOfTheTemplates(t *testing.T) {
	schemas := testutil.ResourceSchemas(t)
	fill := testutil.Filler(sampleProject)
	// The templates as published, and as a platform whose projects run in its VPC
	// publishes them, each with its own launch role.
	for suffix, context := range map[string]map[string]any{"": nil, " in a VPC": studioInVpc} {
		statements, _ := launchRole(t, context)
		if context == nil {
			for _, s := range statements {
				for _, a := range s.Actions {
					assert.False(t, strings.HasPrefix(a, "ec2:"), "%s: templates that place no project in a VPC need no %s", s.Sid, a)
				}
			}
		}
		for name, tpl := range studioTemplates(t, context).templates {
			reqs := requests(t, tpl, schemas, context != nil)
			assert.Greater(t, len(reqs), 300, name+suffix)
			for _, r := range reqs {
				assert.True(t, testutil.Allows(statements, fill, r.action, r.resource, r.context), "%s: the launch role cannot %s on %s (%v)", name+suffix, r.action, r.resource, r.context)
			}
		}
	}
}

// What the launch role may not do, though a template run with it might try: act
// outside the projects' names and path, create a role without the boundary or lift
// it, pass another role, or read unpublished objects.
func TestTheLaunchRoleCannotEscapeTheProjects(t *testing.T) {
	statements, boundary := launchRole(t, studioInVpc)
	fill := testutil.Filler(sampleProject)
	projectRole := "arn:aws:iam::111111111111:role/sagemaker-projects/p-0a1b2c3d4e5f/SP-x-Role-1"
	for _, denied := range []request{
		{"iam:CreateRole", projectRole, map[string]string{}},
		{"iam:CreateRole", projectRole, map[string]string{"iam:PermissionsBoundary": "arn:aws:iam::111111111111:policy/Admin"}},
		{"iam:CreateRole", "arn:aws:iam::111111111111:role/Admin", map[string]string{"iam:PermissionsBoundary": boundary}},
		{"iam:PutRolePolicy", "arn:aws:iam::111111111111:role/service-role/Other", map[string]string{"iam:PermissionsBoundary": boundary}},
		{"iam:AttachRolePolicy", projectRole, map[string]string{"iam:PermissionsBoundary": boundary, "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}},
		{"iam:DeleteRolePermissionsBoundary", projectRole, map[string]string{}},
		{"iam:PassRole", "arn:aws:iam::111111111111:role/Admin", map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}},
		{"iam:PassRole", projectRole, map[string]string{"iam:PassedToService": "ec2.amazonaws.com"}},
		{"s3:PutBucketPolicy", "arn:aws:s3:::company-data", nil},
		{"s3:DeleteBucket", "arn:aws:s3:::cdk-hnb659fds-assets-111111111111-eu-west-1", nil},
		{"s3:GetObject", "arn:aws:s3:::sagemaker-mlops-templates-111111111111-eu-west-1/templates/other.yaml", nil},
		{"s3:GetObject", "arn:aws:s3:::company-data/secrets.csv", nil},
		{"lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-1:111111111111:function:payments", nil},
		{"states:UpdateStateMachine", "arn:aws:states:eu-west-1:111111111111:stateMachine:payments", nil},
		{"events:PutTargets", "arn:aws:events:eu-west-1:111111111111:rule/payments", nil},
		{"logs:DeleteLogGroup", "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/cloudtrail/org", nil},
		{"kms:PutKeyPolicy", "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555", map[string]string{}},
		{"kms:ScheduleKeyDeletion", "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555", map[string]string{"aws:ResourceTag/team": "payments"}},
		{"codebuild:UpdateProject", "arn:aws:codebuild:eu-west-1:111111111111:project/payments-deploy", nil},
		{"codepipeline:UpdatePipeline", "arn:aws:codepipeline:eu-west-1:111111111111:payments", nil},
		{"sagemaker:DeleteModelPackageGroup", "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/payments", nil},
		{"cloudformation:UpdateStack", "arn:aws:cloudformation:eu-west-1:111111111111:stack/payments/1", nil},
		{"iam:CreateUser", "arn:aws:iam::111111111111:user/x", nil},
		{"ec2:DeleteSecurityGroup", "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0123456789abcdef0", map[string]string{"aws:ResourceTag/team": "payments"}},
		{"ec2:CreateTags", "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0123456789abcdef0", map[string]string{"aws:ResourceTag/team": "payments"}},
		{"ec2:AuthorizeSecurityGroupIngress", "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0123456789abcdef0", map[string]string{"aws:ResourceTag/sagemaker:project-id": "p-0a1b2c3d4e5f"}},
	} {
		assert.False(t, testutil.Allows(statements, fill, denied.action, denied.resource, denied.context), "the launch role may %s on %s (%v)", denied.action, denied.resource, denied.context)
	}
	for _, s := range statements {
		for _, a := range s.Actions {
			assert.False(t, strings.Contains(a, "*"), "%s grants the wildcard action %s", s.Sid, a)
		}
	}
}

// Every role a project creates, and every role its deployment role may create, is
// bounded: the boundary lets no role manage IAM beyond the project's own roles.
func TestTheBoundaryKeepsProjectRolesInsideTheProject(t *testing.T) {
	pub := studioTemplates(t, nil).publisher
	boundary := pub.Named(t, "AWS::IAM::ManagedPolicy", "ManagedPolicyName", "sagemaker-mlops-projects-boundary-${AWS::Region}")
	statements := pub.ManagedPolicyStatements(t, boundary.LogicalID)
	fill := testutil.Filler(sampleProject)
	arn := fill("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/sagemaker-mlops-projects-boundary-${AWS::Region}")
	modelRole := "arn:aws:iam::111111111111:role/sagemaker-project-p-0a1b2c3d4e5f/SP-Staging-ModelRole-1"
	assert.True(t, testutil.Allows(statements, fill, "iam:CreateRole", modelRole, map[string]string{"iam:PermissionsBoundary": arn}))
	assert.True(t, testutil.Allows(statements, fill, "iam:PassRole", modelRole, nil))
	assert.True(t, testutil.Allows(statements, fill, "sagemaker:CreateEndpoint", "arn:aws:sagemaker:eu-west-1:111111111111:endpoint/churn-model-p-0a1b2c3d4e5f-staging", nil))
	for _, denied := range []request{
		{"iam:CreateRole", modelRole, map[string]string{}},
		{"iam:CreateRole", "arn:aws:iam::111111111111:role/Admin", map[string]string{"iam:PermissionsBoundary": arn}},
		{"iam:AttachRolePolicy", modelRole, map[string]string{"iam:PermissionsBoundary": arn, "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}},
		{"iam:DeleteRolePermissionsBoundary", modelRole, nil},
		{"iam:PassRole", "arn:aws:iam::111111111111:role/Admin", nil},
		{"iam:CreateUser", "arn:aws:iam::111111111111:user/x", nil},
		{"iam:PutUserPolicy", "arn:aws:iam::111111111111:user/x", nil},
		{"organizations:LeaveOrganization", "*", nil},
		{"ec2:RunInstances", "*", nil},
	} {
		assert.False(t, testutil.Allows(statements, fill, denied.action, denied.resource, denied.context), "the boundary lets a project role %s on %s", denied.action, denied.resource)
	}
}
