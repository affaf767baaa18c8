// Package cfnfix corrects what CDK constructs synthesize that cfn-lint reports, so the
// templates stay lint-clean without ignoring any rule.
package cfnfix

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/jsii-runtime-go"
)

// PipelineRoleDependency makes the pipeline resource depend on its role's policy but
// not on the role itself. CDK adds a DependsOn on both, while the pipeline's RoleArn
// (a GetAtt of the role) already orders it after the role: cfn-lint's W3005. Call it
// after the last stage is added, when the role's policy is complete.
func PipelineRoleDependency(p awscodepipeline.Pipeline) {
	policy := p.Role().Node().TryFindChild(jsii.String("DefaultPolicy"))
	if policy == nil {
		return
	}
	stack := awscdk.Stack_Of(p)
	policyID := stack.GetLogicalId(policy.Node().DefaultChild().(awscdk.CfnElement))
	p.Node().DefaultChild().(awscdk.CfnResource).AddOverride(jsii.String("DependsOn"), &[]*string{policyID})
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
