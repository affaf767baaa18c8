// Package studio publishes the project as SageMaker project templates stored in
// Amazon S3, which data scientists create projects from in SageMaker Studio: the
// templates' form (their parameters), the bucket Studio reads them from, and the launch
// role CloudFormation creates a project's stack with.
package studio

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/gitrules"
)

// The parameters SageMaker passes to every project template: the name the data
// scientist types, and the id SageMaker generates for the project. A template
// declares them without defaults, and neither the Studio form nor CreateProject's
// Parameters list sets them.
const (
	NameParameter = "SageMakerProjectName"
	IDParameter   = "SageMakerProjectId"
)

// Metadata keys Studio reads to draw a template's form: the standard CloudFormation
// parameter groups and labels, and SageMaker's own list of optional parameters.
const (
	interfaceMetadata = "AWS::CloudFormation::Interface"
	rulesMetadata     = "SagemakerTemplateParameterRules"
)

// Form is the Studio form of a project template: the parameters the template
// declares, and the metadata that groups and labels them and marks the optional ones.
type Form struct {
	stack    awscdk.Stack
	identity project.Identity
	groups   []any
	labels   map[string]any
	optional map[string]any
}

// NewForm declares SageMakerProjectName and SageMakerProjectId in stack, constrained
// as the app's configuration constrains projectName and projectId, and the form
// metadata of stack's template.
func NewForm(stack awscdk.Stack) *Form {
	name := awscdk.NewCfnParameter(stack, jsii.String(NameParameter), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		Description:           jsii.String("Name of the project"),
		MinLength:             jsii.Number(1),
		MaxLength:             jsii.Number(project.MaxNameLength),
		AllowedPattern:        jsii.String(project.NamePattern.String()),
		ConstraintDescription: jsii.String("must be " + project.NameRule),
	})
	id := awscdk.NewCfnParameter(stack, jsii.String(IDParameter), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		Description:           jsii.String("Service generated Id of the project"),
		AllowedPattern:        jsii.String(project.IDPattern.String()),
		ConstraintDescription: jsii.String("must be " + project.IDRule),
	})
	f := &Form{
		stack:    stack,
		identity: project.Identity{Name: *name.ValueAsString(), ID: *id.ValueAsString()},
		labels:   map[string]any{},
		optional: map[string]any{},
	}
	stack.TemplateOptions().SetMetadata(&map[string]interface{}{
		interfaceMetadata: awscdk.Lazy_Any(&lazyValue{func() any {
			return map[string]any{"ParameterGroups": f.groups, "ParameterLabels": f.labels}
		}}, nil),
		rulesMetadata: awscdk.Lazy_Any(&lazyValue{func() any { return f.optional }}, nil),
	})
	return f
}

// Project is the project's identity, made of the values of SageMakerProjectName and
// SageMakerProjectId.
func (f *Form) Project() project.Identity { return f.identity }

// GitRepository is a Git repository given by the data scientist on the Studio form of
// the third-party Git template: the fields of SageMaker's own template, per
// repository.
type GitRepository struct {
	// URL is the clone URL, the one given or `https://github.com/<full name>.git`.
	URL string
	// Branch is the branch the pipeline builds (default main).
	Branch string
	// FullName is the repository's full name, owner/repo.
	FullName string
	// ConnectionArn is the CodeConnections connection that reaches the repository.
	ConnectionArn string
	// SeedCode holds when the sample code is to be pushed to the repository.
	SeedCode awscdk.CfnCondition
}

// Parameter names of a repository, after their prefix (ModelBuild or ModelDeploy).
const (
	urlParameter        = "CodeRepositoryURL"
	branchParameter     = "CodeRepositoryBranch"
	fullNameParameter   = "CodeRepositoryFullname"
	connectionParameter = "CodestarConnectionArn"
	seedCodeParameter   = "SampleCode"
)

// AddGitRepository declares the parameters of one repository, named after prefix
// (e.g. "ModelBuild"), grouped under label with the labels of SageMaker's own
// third-party Git template and constrained as the configuration's `<repo>.*` keys
// are. URL, Branch and Sample Code are optional.
func (f *Form) AddGitRepository(prefix, label string) GitRepository {
	param := func(name, description string, props awscdk.CfnParameterProps) string {
		props.Type = jsii.String("String")
		props.Description = jsii.String(description)
		return *awscdk.NewCfnParameter(f.stack, jsii.String(prefix+name), &props).ValueAsString()
	}
	url := param(urlParameter, "HTTPS clone URL of the repository, https://git-url.git (default: https://github.com/<Full Repository Name>.git)", awscdk.CfnParameterProps{
		Default:               jsii.String(""),
		MaxLength:             jsii.Number(1024),
		AllowedPattern:        jsii.String(optionalPattern(gitrules.CloneURLPattern)),
		ConstraintDescription: jsii.String("must be empty or " + gitrules.CloneURLRule),
	})
	branch := param(branchParameter, "Branch the pipeline builds", awscdk.CfnParameterProps{
		Default:               jsii.String("main"),
		MaxLength:             jsii.Number(gitrules.MaxBranchLength),
		AllowedPattern:        jsii.String(gitrules.BranchPattern),
		ConstraintDescription: jsii.String("must be " + gitrules.BranchRule),
	})
	fullName := param(fullNameParameter, "Full name of the repository, username/repository or organization/repository", awscdk.CfnParameterProps{
		MaxLength:             jsii.Number(gitrules.MaxFullNameLength),
		AllowedPattern:        jsii.String(gitrules.FullNamePattern),
		ConstraintDescription: jsii.String("must be " + gitrules.FullNameRule),
	})
	connection := param(connectionParameter, "ARN of the CodeConnections (CodeStar) connection to the Git provider, tagged sagemaker=true", awscdk.CfnParameterProps{
		AllowedPattern:        jsii.String(gitrules.ConnectionArnPattern),
		ConstraintDescription: jsii.String("must be " + gitrules.ConnectionArnRule),
	})
	seed := param(seedCodeParameter, "Push the sample code to the repository when the project is created", awscdk.CfnParameterProps{
		Default:       jsii.String("true"),
		AllowedValues: jsii.Strings("true", "false"),
	})

	urlGiven := awscdk.NewCfnCondition(f.stack, jsii.String(prefix+"URLGiven"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(url, "")),
	})
	seedCode := awscdk.NewCfnCondition(f.stack, jsii.String(prefix+"SeedCode"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(seed, "true"),
	})
	f.groups = append(f.groups, map[string]any{
		"Label":      map[string]any{"default": label},
		"Parameters": []string{prefix + urlParameter, prefix + branchParameter, prefix + fullNameParameter, prefix + connectionParameter, prefix + seedCodeParameter},
	})
	for name, text := range map[string]string{
		urlParameter: "URL", branchParameter: "Branch", fullNameParameter: "Full Repository Name",
		connectionParameter: "Codestar Connection ARN", seedCodeParameter: "Sample Code",
	} {
		f.labels[prefix+name] = map[string]any{"default": text}
	}
	for _, name := range []string{urlParameter, branchParameter, seedCodeParameter} {
		f.optional[prefix+name] = map[string]any{"Optional": true}
	}
	return GitRepository{
		URL:           *awscdk.Token_AsString(awscdk.Fn_ConditionIf(urlGiven.LogicalId(), url, gitrules.DefaultCloneURL(fullName)), nil),
		Branch:        branch,
		FullName:      fullName,
		ConnectionArn: connection,
		SeedCode:      seedCode,
	}
}

// optionalPattern also accepts the empty string.
func optionalPattern(pattern string) string {
	return "^(" + strings.TrimSuffix(strings.TrimPrefix(pattern, "^"), "$") + ")?$"
}

// lazyValue produces a value when the template is rendered.
type lazyValue struct{ produce func() any }

// Produce returns the value.
func (l *lazyValue) Produce() interface{} { return l.produce() }
