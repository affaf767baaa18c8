// Package registry provides the project's model registry: an explicit SageMaker model
// package group (the original template left it to be created implicitly by the first
// registration, so nothing could reference or protect it), or an existing group
// imported by name or ARN, with grants for the roles that read, register and approve
// model versions, and the rule that reacts when a version is approved.
package registry

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/tokens"
)

// The approval statuses of a model version. OnApproved reacts to ApprovedStatus only:
// a rejected or pending version never starts a deployment by it.
const (
	ApprovedStatus = "Approved"
	RejectedStatus = "Rejected"
	PendingStatus  = "PendingManualApproval"
)

// IModelRegistry is a model package group: the one a ModelRegistry creates, or an
// existing one imported with FromGroupName or FromGroupArn.
type IModelRegistry interface {
	constructs.IConstruct
	// GroupName is the group's name.
	GroupName() *string
	// GroupArn is the group's ARN.
	GroupArn() *string
	// PackagesArn matches every model version of the group.
	PackagesArn() *string
	// GrantRead lets grantee describe the group and its versions and list them.
	GrantRead(grantee awsiam.IGrantable) awsiam.Grant
	// GrantRegister lets grantee register (and tag) new versions in the group.
	GrantRegister(grantee awsiam.IGrantable) awsiam.Grant
	// GrantApprove lets grantee change the approval status of the group's versions.
	GrantApprove(grantee awsiam.IGrantable) awsiam.Grant
	// OnApproved creates a rule, in this construct's stack, for the events of a version
	// of the group becoming Approved, and only those. SageMaker sends them in the
	// group's own account and region: the group must be the stack's.
	OnApproved(id string, options *awsevents.OnEventOptions) awsevents.Rule
	// OnStatus creates a rule, in this construct's stack, for the events of a version
	// of the group taking one of statuses (e.g. ApprovedStatus and RejectedStatus),
	// and only those; the group must be the stack's, as for OnApproved.
	OnStatus(id string, options *awsevents.OnEventOptions, statuses ...string) awsevents.Rule
}

// ModelRegistryProps configures a ModelRegistry.
type ModelRegistryProps struct {
	// Project names the group `<name>-<id>`. Required.
	Project project.Identity
	// Description of the group. Default: names the project.
	Description string
	// RemovalPolicy decides what a stack deletion does to the group. Default:
	// awscdk.RemovalPolicy_RETAIN. With awscdk.RemovalPolicy_DESTROY, CloudFormation
	// deletes the group, which SageMaker refuses while it still holds model versions.
	RemovalPolicy awscdk.RemovalPolicy
}

// ModelRegistry is the project's model package group.
type ModelRegistry struct {
	group
	// Group is the CloudFormation resource of the group.
	Group awssagemaker.CfnModelPackageGroup
	// accounts may deploy the group's versions (AllowAccounts), in the order given.
	accounts []string
}

// NewModelRegistry creates the model package group. It panics when Project is invalid.
func NewModelRegistry(scope constructs.Construct, id string, props *ModelRegistryProps) *ModelRegistry {
	props.Project.MustValidate()
	name := props.Project.ModelPackageGroupName()
	description := props.Description
	if description == "" {
		description = "Model versions of SageMaker project " + props.Project.Name + " (" + props.Project.ID + ")"
	}
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	c := constructs.NewConstruct(scope, &id)
	cfn := awssagemaker.NewCfnModelPackageGroup(c, jsii.String("Group"), &awssagemaker.CfnModelPackageGroupProps{
		ModelPackageGroupName:        jsii.String(name),
		ModelPackageGroupDescription: jsii.String(description),
	})
	cfn.ApplyRemovalPolicy(removal, nil)
	return &ModelRegistry{
		group: group{
			Construct: c, name: name,
			arn:      props.Project.SageMakerArn(c, "model-package-group", ""),
			packages: props.Project.SageMakerArn(c, "model-package", "/*"),
		},
		Group: cfn,
	}
}

// AllowAccounts lets other accounts (the stage accounts of a multi-account project)
// describe the group's model versions and create models from them, which is what
// deploying a version there takes, and nothing else. Calls add up; each account
// appears once, in the order first given.
func (r *ModelRegistry) AllowAccounts(accounts ...string) {
	had := len(r.accounts) > 0
	for _, a := range accounts {
		if !slices.Contains(r.accounts, a) {
			r.accounts = append(r.accounts, a)
		}
	}
	if !had && len(r.accounts) > 0 {
		r.Group.AddPropertyOverride(jsii.String("ModelPackageGroupPolicy"), awscdk.Lazy_Any(&policyOf{r}, nil))
	}
}

// policyOf renders a registry's resource policy when the template is written, so
// that every AllowAccounts call is in it.
type policyOf struct{ r *ModelRegistry }

// Produce returns the policy.
func (p *policyOf) Produce() interface{} {
	var principals []string
	partition := *awscdk.Stack_Of(p.r.Construct).Partition()
	for _, a := range p.r.accounts {
		principals = append(principals, "arn:"+partition+":iam::"+a+":root")
	}
	return map[string]interface{}{
		"Version": "2012-10-17",
		"Statement": []interface{}{
			map[string]interface{}{
				"Sid": "StageAccountsDescribeGroup", "Effect": "Allow",
				"Principal": map[string]interface{}{"AWS": principals},
				"Action":    []string{"sagemaker:DescribeModelPackageGroup"},
				"Resource":  p.r.arn,
			},
			map[string]interface{}{
				"Sid": "StageAccountsDeployVersions", "Effect": "Allow",
				"Principal": map[string]interface{}{"AWS": principals},
				"Action":    []string{"sagemaker:DescribeModelPackage", "sagemaker:CreateModel"},
				"Resource":  p.r.packages,
			},
		},
	}
}

// FromGroupName imports the existing group called name, in scope's stack's account
// and region. A name with capitals is lowercased in the ARNs, as SageMaker does.
func FromGroupName(scope constructs.Construct, id, name string) IModelRegistry {
	c := constructs.NewConstruct(scope, &id)
	return &group{
		Construct: c, name: name,
		arn:      project.SageMakerArn(c, "model-package-group", name),
		packages: project.SageMakerArn(c, "model-package", name+"/*"),
	}
}

// groupArn splits a model package group's ARN.
var groupArn = regexp.MustCompile(`^arn:(aws[a-z-]*):sagemaker:([a-z0-9-]+):([0-9]{12}):model-package-group/([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$`)

// FromGroupArn imports the existing group arn, in any account and region: a group of
// another account can be read and deployed from once its resource policy allows it
// (see ModelRegistry.AllowAccounts). It panics when arn is not a group's ARN.
func FromGroupArn(scope constructs.Construct, id, arn string) IModelRegistry {
	m := groupArn.FindStringSubmatch(arn)
	if m == nil {
		panic(fmt.Sprintf("registry.FromGroupArn: %q is invalid: use arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>", arn))
	}
	c := constructs.NewConstruct(scope, &id)
	return &group{
		Construct: c, name: m[4], account: m[3], region: m[2],
		arn:      jsii.String(arn),
		packages: jsii.String("arn:" + m[1] + ":sagemaker:" + m[2] + ":" + m[3] + ":model-package/" + strings.ToLower(m[4]) + "/*"),
	}
}

// group is what every IModelRegistry shares: its names, ARNs, grants and rule.
type group struct {
	constructs.Construct
	name          string
	arn, packages *string
	// account and region are set for a group imported by ARN.
	account, region string
}

// GroupName is the group's name.
func (g *group) GroupName() *string { return jsii.String(g.name) }

// GroupArn is the group's ARN.
func (g *group) GroupArn() *string { return g.arn }

// PackagesArn matches every model version of the group.
func (g *group) PackagesArn() *string { return g.packages }

// GrantRead lets grantee describe the group and its model versions and list them.
// ListModelPackages supports no resource-level permissions, so that one action is
// granted on `*`.
func (g *group) GrantRead(grantee awsiam.IGrantable) awsiam.Grant {
	describe := grant(grantee, []*string{g.arn, g.packages}, "sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage")
	return describe.Combine(grant(grantee, []*string{jsii.String("*")}, "sagemaker:ListModelPackages"))
}

// GrantRegister lets grantee register (and tag) new model versions in the group.
func (g *group) GrantRegister(grantee awsiam.IGrantable) awsiam.Grant {
	return grant(grantee, []*string{g.arn, g.packages}, "sagemaker:CreateModelPackage", "sagemaker:AddTags", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup")
}

// GrantApprove lets grantee change the approval status of the group's model versions.
func (g *group) GrantApprove(grantee awsiam.IGrantable) awsiam.Grant {
	return grant(grantee, []*string{g.packages}, "sagemaker:UpdateModelPackage", "sagemaker:DescribeModelPackage")
}

// OnApproved creates a rule for the group's versions becoming Approved. It panics for
// a group of another account or region than the stack's, whose events never reach
// the stack's event bus.
func (g *group) OnApproved(id string, options *awsevents.OnEventOptions) awsevents.Rule {
	return g.onStatus("OnApproved", id, options, ApprovedStatus)
}

// OnStatus creates a rule for the group's versions taking one of statuses. It panics
// for a group of another account or region than the stack's, or without a status.
func (g *group) OnStatus(id string, options *awsevents.OnEventOptions, statuses ...string) awsevents.Rule {
	if len(statuses) == 0 {
		panic("registry: OnStatus " + id + " names no status: give one or more of " + ApprovedStatus + ", " + RejectedStatus + ", " + PendingStatus)
	}
	return g.onStatus("OnStatus", id, options, statuses...)
}

func (g *group) onStatus(method, id string, options *awsevents.OnEventOptions, statuses ...string) awsevents.Rule {
	stack := awscdk.Stack_Of(g.Construct)
	if g.account != "" && (tokens.Is(*stack.Account()) || g.account != *stack.Account() || g.region != *stack.Region()) {
		panic(fmt.Sprintf("registry: %s of group %s of account %s, region %s, in stack %s: SageMaker sends the group's events in its own account and region only; create the rule there", method, g.name, g.account, g.region, *stack.StackName()))
	}
	if options == nil {
		options = &awsevents.OnEventOptions{}
	}
	rule := awsevents.NewRule(g.Construct, &id, &awsevents.RuleProps{
		Description: options.Description,
		RuleName:    options.RuleName,
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.sagemaker"),
			DetailType: jsii.Strings("SageMaker Model Package State Change"),
			Detail: &map[string]interface{}{
				"ModelPackageGroupName": []string{g.name},
				"ModelApprovalStatus":   statuses,
			},
		},
	})
	if options.Target != nil {
		rule.AddTarget(options.Target)
	}
	return rule
}

func grant(grantee awsiam.IGrantable, arns []*string, actions ...string) awsiam.Grant {
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings(actions...),
		ResourceArns: &arns,
	})
}
