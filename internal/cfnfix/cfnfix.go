// Package cfnfix corrects what CDK constructs synthesize that cfn-lint reports, so the
// templates stay lint-clean without ignoring any rule.
package cfnfix

import (
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

// RoleDependency makes the CloudFormation resource of resource (a function, state
// machine or pipeline) depend on its role's default policy only. CDK makes it depend
// on both the role and the policy, while its role property (a GetAtt of the role)
// already orders it after the role: cfn-lint's W3005. The role must belong to the same
// stack; an imported role or one without a default policy is left alone.
func RoleDependency(resource constructs.IConstruct, role awsiam.IRole) {
	if role == nil {
		return
	}
	policy := role.Node().TryFindChild(jsii.String("DefaultPolicy"))
	if policy == nil {
		return
	}
	stack := awscdk.Stack_Of(resource)
	policyID := stack.GetLogicalId(policy.Node().DefaultChild().(awscdk.CfnElement))
	resource.Node().DefaultChild().(awscdk.CfnResource).AddOverride(jsii.String("DependsOn"), &[]*string{policyID})
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
