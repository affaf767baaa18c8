// Package cfnfix corrects what CDK constructs synthesize that cfn-lint reports, so the
// templates stay lint-clean without ignoring any rule.
package cfnfix

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// PipelineRoleDependency is RoleDependency for a pipeline and its role. Call it after
// the last stage is added, when the role's policy is complete.
func PipelineRoleDependency(p awscodepipeline.Pipeline) {
	RoleDependency(p, p.Role())
}

// RoleDependency drops, from the DependsOn of the CloudFormation resource of resource
// (a function, state machine or pipeline), its role. CDK makes it depend on both the
// role and the role's default policy, while its role property (a GetAtt of the role)
// already orders it after the role: cfn-lint's W3005. Every other dependency stays,
// including those added after this call: the list is made when the template is
// rendered. The role must belong to the same stack; an imported role or one without a
// default policy is left alone.
func RoleDependency(resource constructs.IConstruct, role awsiam.IRole) {
	if role == nil || role.Node().TryFindChild(jsii.String("DefaultPolicy")) == nil {
		return
	}
	cfn := resource.Node().DefaultChild().(awscdk.CfnResource)
	omit := *awscdk.Stack_Of(resource).GetLogicalId(role.Node().DefaultChild().(awscdk.CfnElement))
	cfn.AddOverride(jsii.String("DependsOn"), awscdk.Lazy_List(&dependsOnWithout{resource: cfn, omit: omit}, nil))
}

// dependsOnWithout produces the logical ids of the resources resource depends on,
// sorted as CDK sorts them, without omit.
type dependsOnWithout struct {
	resource awscdk.CfnResource
	omit     string
}

// Produce lists the dependencies; it runs once, when the template is rendered.
func (d *dependsOnWithout) Produce() *[]*string {
	stack := awscdk.Stack_Of(d.resource)
	var ids []string
	for _, dep := range *d.resource.ObtainDependencies() {
		if r, ok := dep.(awscdk.CfnResource); ok {
			if id := *stack.GetLogicalId(r); id != d.omit {
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	return jsii.Strings(ids...)
}

// AutoDeleteObjectsDependency is ProviderRoleDependency for the provider that empties
// the buckets created with AutoDeleteObjects.
func AutoDeleteObjectsDependency(scope constructs.IConstruct) {
	ProviderRoleDependency(awscdk.Stack_Of(scope), "Custom::S3AutoDeleteObjectsCustomResourceProvider")
}

// ProviderRoleDependency removes the DependsOn of a CDK custom resource provider's
// handler function on the provider's role (the handler's Role property, a GetAtt of
// that role, already orders them: cfn-lint's W3005). providerID is the id of the
// provider in its stack, such as "Custom::S3AutoDeleteObjectsCustomResourceProvider";
// nothing happens when the stack has no such provider.
func ProviderRoleDependency(stack awscdk.Stack, providerID string) {
	provider := stack.Node().TryFindChild(&providerID)
	if provider == nil {
		return
	}
	handler, ok1 := provider.Node().TryFindChild(jsii.String("Handler")).(awscdk.CfnResource)
	role, ok2 := provider.Node().TryFindChild(jsii.String("Role")).(awscdk.CfnResource)
	if ok1 && ok2 {
		handler.RemoveResourceDependency(role)
	}
}
