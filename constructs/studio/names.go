package studio

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/synthwalk"
)

// Names and locations shared by the published templates and the stack that publishes
// them; each is written once, here.
const (
	// TemplatesBucketName is the bucket the templates and their assets are published
	// in, one per account and region: the project templates refer to their assets
	// there, so its name is fixed.
	TemplatesBucketName = "sagemaker-mlops-templates-${AWS::AccountId}-${AWS::Region}"
	// TemplatesPrefix is where the template objects are, the location Studio lists.
	TemplatesPrefix = "templates/"
	// AssetsPrefix is where the templates' assets are: seed code, Lambda code, scripts.
	AssetsPrefix = "assets/"
	// boundaryName is the permissions boundary of every role a project creates.
	boundaryName = "sagemaker-mlops-projects-boundary-${AWS::Region}"
	// rolePathPrefix starts the IAM path of the roles of every project.
	rolePathPrefix = "/sagemaker-projects/"
	// namePrefix starts the name of every resource whose name CloudFormation would
	// otherwise generate, followed by the project id.
	namePrefix = "sagemaker-"
)

// RolePath is the IAM path of the roles a project created from a template has,
// `/sagemaker-projects/<id>/`: the launch role may create and pass roles there only.
func RolePath(p project.Identity) string { return rolePathPrefix + p.ID + "/" }

// BoundaryArn is the ARN of the permissions boundary every role of a project carries,
// in scope's account and region.
func BoundaryArn(scope constructs.IConstruct) *string {
	return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("policy"),
		ResourceName: awscdk.Fn_Sub(jsii.String(boundaryName), nil),
	})
}

// NameResources names every resource below scope whose name CloudFormation would
// generate from the stack's name, `sagemaker-<id>-<logical id>`, so that the launch
// role can be limited to the names of projects. A logical id too long for the
// resource type's limit keeps its start and its last 8 characters, CDK's hash of the
// construct path, so names stay unique. The names are given at synthesis, once for
// the whole tree (see synthwalk), through a construct ResourceNames added to scope.
func NameResources(scope constructs.IConstruct, p project.Identity) {
	n := namer{prefix: namePrefix + p.ID + "-", longestPrefix: namePrefix + p.Longest().ID + "-"}
	synthwalk.Resources(scope, "ResourceNames", awscdk.AspectPriority_MUTATING(), n.name)
}

// nameRules are the resource types NameResources names: the property, the longest
// name and whether the name must be lowercase.
var nameRules = map[string]struct {
	property  string
	maxLength int
	lowercase bool
}{
	"AWS::S3::Bucket":                  {"BucketName", 63, true},
	"AWS::Events::Rule":                {"Name", 64, false},
	"AWS::SageMaker::CodeRepository":   {"CodeRepositoryName", 63, false},
	"AWS::Lambda::Function":            {"FunctionName", 64, false},
	"AWS::StepFunctions::StateMachine": {"StateMachineName", 80, false},
	"AWS::Logs::LogGroup":              {"LogGroupName", 512, false},
}

// namer names the resources of NameResources.
type namer struct{ prefix, longestPrefix string }

// name names resource when it is of one of nameRules' types and has no name.
func (n namer) name(resource awscdk.CfnResource) {
	rule, ok := nameRules[*resource.CfnResourceType()]
	if !ok || hasName(resource, rule.property) {
		return
	}
	name := *awscdk.Stack_Of(resource).GetLogicalId(resource)
	if room := rule.maxLength - len(n.longestPrefix); len(name) > room {
		name = name[:room-8] + name[len(name)-8:]
	}
	if rule.lowercase {
		name = strings.ToLower(name)
	}
	resource.AddPropertyOverride(jsii.String(rule.property), n.prefix+name)
}

// hasName tells whether the resource's properties name it already.
func hasName(resource awscdk.CfnResource, property string) bool {
	var name *string
	switch r := resource.(type) {
	case awss3.CfnBucket:
		name = r.BucketName()
	case awsevents.CfnRule:
		name = r.Name()
	case awssagemaker.CfnCodeRepository:
		name = r.CodeRepositoryName()
	case awslambda.CfnFunction:
		name = r.FunctionName()
	case awsstepfunctions.CfnStateMachine:
		name = r.StateMachineName()
	case awslogs.CfnLogGroup:
		name = r.LogGroupName()
	default:
		// A plain CfnResource, as CDK's own providers create, holds its properties as
		// CloudFormation names them.
		return (*resource.CfnProperties())[property] != nil
	}
	// An L2 construct gives its L1 a lazy name that resolves to nothing when the
	// construct has no physical name.
	return name != nil && awscdk.Stack_Of(resource).Resolve(name) != nil
}

// ScopeRoles gives every role below scope the IAM path path, and no name of its own:
// CloudFormation names each after the stack, so that a template needs no
// CAPABILITY_NAMED_IAM (whether SageMaker grants it when it creates a project's stack
// is not documented). The roles are changed at synthesis, once for the whole tree
// (see synthwalk), through a construct RolePaths added to scope.
func ScopeRoles(scope constructs.IConstruct, path string) {
	synthwalk.Resources(scope, "RolePaths", awscdk.AspectPriority_MUTATING(), func(resource awscdk.CfnResource) {
		if *resource.CfnResourceType() == "AWS::IAM::Role" {
			resource.AddPropertyOverride(jsii.String("Path"), path)
			resource.AddPropertyDeletionOverride(jsii.String("RoleName"))
		}
	})
}
