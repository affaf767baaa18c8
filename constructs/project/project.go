// Package project holds the identity of a SageMaker MLOps project (its name and id),
// every resource name derived from it, the tags every resource of the project carries,
// and the deployment stages of its endpoints and where each deploys (Stage, Target).
//
// The naming follows SageMaker's own "build, train, deploy" project template, with the
// project id in every name that must be unique per account and region (the original
// left it out of endpoint names, so two projects with the same name collided).
package project

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/internal/synthwalk"
	"github.com/sagemaker-mlops-cdk/mlops/internal/tokens"
)

// Tag keys SageMaker Studio uses to relate resources to a project.
const (
	TagProjectName = "sagemaker:project-name"
	TagProjectID   = "sagemaker:project-id"
)

// MaxNameLength is the longest project name SageMaker accepts.
const MaxNameLength = 32

// NamePattern is the rule SageMaker applies to project names (with MaxNameLength):
// a letter first, then letters and digits, hyphens only between them.
var NamePattern = regexp.MustCompile(`^[a-zA-Z](-*[a-zA-Z0-9])*$`)

// IDPattern is the rule for project ids: `p-` followed by 1 to 12 lowercase letters or
// digits, the form of SageMaker's own project ids. The bound keeps every derived name
// (bucket, endpoint, rule, stack) within its service's length limit.
var IDPattern = regexp.MustCompile(`^p-[a-z0-9]{1,12}$`)

// Identity names one project. Every construct of this library derives its resource
// names and tags from it.
//
// Name and ID may be CDK tokens, such as the values of the CloudFormation parameters
// SageMaker passes to a project template (see package studio): every name is then
// built by CloudFormation from the same pattern, and the rules below are left to the
// parameters' constraints.
type Identity struct {
	// Name is the project name, 1-MaxNameLength characters matching NamePattern.
	Name string
	// ID is the project id, matching IDPattern.
	ID string
}

// NameRule and IDRule say what NamePattern and IDPattern allow.
const (
	NameRule = "1-32 characters, a letter first, then letters, digits and hyphens, no hyphen at the end"
	IDRule   = `"p-" followed by 1-12 lowercase letters or digits`
)

// CheckName says why name is not a valid project name, or returns nil.
func CheckName(name string) error {
	if len(name) > MaxNameLength || !NamePattern.MatchString(name) {
		return fmt.Errorf("use %s (pattern %s)", NameRule, NamePattern)
	}
	return nil
}

// CheckID says why id is not a valid project id, or returns nil.
func CheckID(id string) error {
	if !IDPattern.MatchString(id) {
		return fmt.Errorf("use %s (pattern %s)", IDRule, IDPattern)
	}
	return nil
}

// Validate reports the first field of the identity that breaks its rule, naming the
// field, the value and what is allowed. A token is not checked: CloudFormation checks
// the value it resolves to against its parameter's constraints.
func (i Identity) Validate() error {
	if err := CheckName(i.Name); err != nil && !tokens.Is(i.Name) {
		return fmt.Errorf("projectName %q is invalid: %w", i.Name, err)
	}
	if err := CheckID(i.ID); err != nil && !tokens.Is(i.ID) {
		return fmt.Errorf("projectId %q is invalid: %w", i.ID, err)
	}
	return nil
}

// Longest is the identity with each token replaced by the longest value its rule
// allows, so that a length limit of a derived name can be checked before
// CloudFormation knows the values.
func (i Identity) Longest() Identity {
	if tokens.Is(i.Name) {
		i.Name = strings.Repeat("a", MaxNameLength)
	}
	if tokens.Is(i.ID) {
		i.ID = "p-" + strings.Repeat("0", 12)
	}
	return i
}

// MustValidate panics with the message of Validate when the identity is invalid.
// Constructs call it so that a bad identity stops synthesis before any resource exists.
func (i Identity) MustValidate() {
	if err := i.Validate(); err != nil {
		panic(err.Error())
	}
}

// NameID is `<name>-<id>`: the model package group, the SageMaker pipeline and the
// prefix of endpoint names.
func (i Identity) NameID() string { return i.Name + "-" + i.ID }

// ResourceName is `sagemaker-<name>-<id>-<suffix>`, the pattern of repositories, build
// projects, pipelines and stacks.
func (i Identity) ResourceName(suffix string) string {
	return "sagemaker-" + i.NameID() + "-" + suffix
}

// BucketName is the artifact bucket's name, `sagemaker-project-<id>`.
func (i Identity) BucketName() string { return "sagemaker-project-" + i.ID }

// KeyAliasName is the alias of the artifact bucket's KMS key,
// `alias/sagemaker-project-<id>`.
func (i Identity) KeyAliasName() string { return "alias/" + i.BucketName() }

// ModelPackageGroupName is the model registry group, `<name>-<id>`.
func (i Identity) ModelPackageGroupName() string { return i.NameID() }

// PipelineName is the SageMaker pipeline the ModelBuild code upserts, `<name>-<id>`.
func (i Identity) PipelineName() string { return i.NameID() }

// ModelArtifactsPrefix is the key prefix in the artifact bucket under which the
// ModelBuild pipeline writes its jobs' outputs, model artifacts included: `<name>-<id>/`.
func (i Identity) ModelArtifactsPrefix() string { return i.NameID() + "/" }

// Tag is one resource tag.
type Tag struct {
	Key, Value string
}

// ApplyTags tags every resource below scope that takes tags with the project's name
// and id, and with extra: through CDK's Tags where CDK can tag the resource, and by a
// property override for the functions and roles of CDK's custom resource providers,
// which are plain CfnResources CDK's Tags cannot reach. (Scalable targets stay
// untagged: CloudFormation now tags them, but CDK's CfnScalableTarget has no Tags and
// CDK's template validation rejects them.) The override is made once, at synthesis
// (see synthwalk), through a construct TagsOfUntaggableResources that ApplyTags adds
// to scope: it may be called once per scope.
func (i Identity) ApplyTags(scope constructs.IConstruct, extra ...Tag) {
	all := append([]Tag{{TagProjectName, i.Name}, {TagProjectID, i.ID}}, extra...)
	tags := awscdk.Tags_Of(scope)
	for _, t := range all {
		tags.Add(jsii.String(t.Key), jsii.String(t.Value), nil)
	}
	tagsOverride := make([]map[string]string, len(all))
	for n, t := range all {
		tagsOverride[n] = map[string]string{"Key": t.Key, "Value": t.Value}
	}
	synthwalk.Resources(scope, "TagsOfUntaggableResources", nil, func(resource awscdk.CfnResource) {
		if slices.Contains(untaggedTypes, *resource.CfnResourceType()) && !*awscdk.TagManager_IsTaggable(resource) {
			resource.AddPropertyOverride(jsii.String("Tags"), tagsOverride)
		}
	})
}

// untaggedTypes are the resource types that CloudFormation tags but that the
// library's constructs, or CDK's own, create as resources CDK cannot tag.
var untaggedTypes = []string{"AWS::IAM::Role", "AWS::Lambda::Function"}

// ArnName is the project's SageMaker resource name `<name>-<id><suffix>` as it
// appears in the resource's ARN. SageMaker lowercases names in ARNs and IAM compares
// ARNs case-sensitively, so the name is lowercased. CloudFormation cannot lowercase a
// value, so a project name that is a token (it may hold capitals) is replaced by `*`:
// the ARN is then scoped by the project id alone, which is always lowercase and unique
// in the account.
func (i Identity) ArnName(suffix string) string {
	name := strings.ToLower(i.Name)
	if tokens.Is(i.Name) {
		name = "*"
	}
	return name + "-" + i.ID + strings.ToLower(suffix)
}

// SageMakerArn formats the ARN of the project's SageMaker resource of resourceType
// named `<name>-<id><suffix>` (see ArnName); suffix may end in a `*` wildcard.
func (i Identity) SageMakerArn(scope constructs.IConstruct, resourceType, suffix string) *string {
	return sageMakerArn(scope, resourceType, i.ArnName(suffix))
}

// SageMakerArn formats the ARN of a SageMaker resource in scope's stack whose name is
// not the project's, such as `pipelines-*`. The name is lowercased, as SageMaker does
// in ARNs; it may end in a `*` wildcard.
func SageMakerArn(scope constructs.IConstruct, resourceType, name string) *string {
	return sageMakerArn(scope, resourceType, strings.ToLower(name))
}

func sageMakerArn(scope constructs.IConstruct, resourceType, name string) *string {
	return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("sagemaker"),
		Resource:     jsii.String(resourceType),
		ResourceName: jsii.String(name),
	})
}
