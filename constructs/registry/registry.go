// Package registry provides the project's model registry: an explicit SageMaker model
// package group (the original template left it to be created implicitly by the first
// registration, so nothing could reference or protect it) with grants for the roles that
// read, register and approve model versions.
package registry

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
)

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
	constructs.Construct
	// Group is the CloudFormation resource of the group.
	Group awssagemaker.CfnModelPackageGroup
	// GroupName is `<name>-<id>`.
	GroupName string
	// GroupArn is the group's ARN.
	GroupArn *string
	// GroupArnName is the group's name as it appears in SageMaker ARNs (see
	// project.Identity.ArnName).
	GroupArnName string
	// PackagesArn matches every model version of the group.
	PackagesArn *string
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
	group := awssagemaker.NewCfnModelPackageGroup(c, jsii.String("Group"), &awssagemaker.CfnModelPackageGroupProps{
		ModelPackageGroupName:        jsii.String(name),
		ModelPackageGroupDescription: jsii.String(description),
	})
	group.ApplyRemovalPolicy(removal, nil)
	return &ModelRegistry{
		Construct:    c,
		Group:        group,
		GroupName:    name,
		GroupArn:     props.Project.SageMakerArn(c, "model-package-group", ""),
		GroupArnName: props.Project.ArnName(""),
		PackagesArn:  props.Project.SageMakerArn(c, "model-package", "/*"),
	}
}

// AllowAccounts lets other accounts (the stage accounts of a multi-account project)
// describe the group's model versions and create models from them, which is what
// deploying a version there takes, and nothing else. Each account appears once.
func (r *ModelRegistry) AllowAccounts(accounts ...string) {
	if len(accounts) == 0 {
		return
	}
	seen := map[string]bool{}
	var principals []string
	stack := awscdk.Stack_Of(r.Construct)
	for _, a := range accounts {
		if !seen[a] {
			seen[a] = true
			principals = append(principals, "arn:"+*stack.Partition()+":iam::"+a+":root")
		}
	}
	r.Group.AddPropertyOverride(jsii.String("ModelPackageGroupPolicy"), map[string]interface{}{
		"Version": "2012-10-17",
		"Statement": []interface{}{
			map[string]interface{}{
				"Sid": "StageAccountsDescribeGroup", "Effect": "Allow",
				"Principal": map[string]interface{}{"AWS": principals},
				"Action":    []string{"sagemaker:DescribeModelPackageGroup"},
				"Resource":  r.GroupArn,
			},
			map[string]interface{}{
				"Sid": "StageAccountsDeployVersions", "Effect": "Allow",
				"Principal": map[string]interface{}{"AWS": principals},
				"Action":    []string{"sagemaker:DescribeModelPackage", "sagemaker:CreateModel"},
				"Resource":  r.PackagesArn,
			},
		},
	})
}

// GrantRead lets grantee describe the group and its model versions and list them.
// ListModelPackages supports no resource-level permissions, so that one action is
// granted on `*`.
func (r *ModelRegistry) GrantRead(grantee awsiam.IGrantable) {
	r.grant(grantee, []*string{r.GroupArn, r.PackagesArn}, "sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage")
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("sagemaker:ListModelPackages"),
		ResourceArns: jsii.Strings("*"),
	})
}

// GrantRegister lets grantee register (and tag) new model versions in the group.
func (r *ModelRegistry) GrantRegister(grantee awsiam.IGrantable) {
	r.grant(grantee, []*string{r.GroupArn, r.PackagesArn}, "sagemaker:CreateModelPackage", "sagemaker:AddTags", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup")
}

// GrantApprove lets grantee change the approval status of the group's model versions.
func (r *ModelRegistry) GrantApprove(grantee awsiam.IGrantable) {
	r.grant(grantee, []*string{r.PackagesArn}, "sagemaker:UpdateModelPackage", "sagemaker:DescribeModelPackage")
}

func (r *ModelRegistry) grant(grantee awsiam.IGrantable, arns []*string, actions ...string) {
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings(actions...),
		ResourceArns: &arns,
	})
}
