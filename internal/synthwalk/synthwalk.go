// Package synthwalk changes the CloudFormation resources below a scope once, when the
// app is synthesized, for a few calls between Go and jsii's node process instead of
// one per construct.
//
// A Go aspect added to a scope costs a call from node to Go for every construct in
// the tree below it, each a round trip between the two processes (about 0.2 ms on 2
// cores): the three aspects a Studio template needs cost more than a second of
// synthesis. Resources adds its aspect to a construct of its own, which has no
// children, and lists the resources below the scope in one call when that aspect
// runs.
package synthwalk

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Resources calls visit, when the app is synthesized, for every CloudFormation
// resource below scope, in preorder: the resources that exist when aspects of
// priority run (awscdk.AspectPriority_MUTATING() for a change that other aspects,
// such as CDK's tags, must see). A resource that a later aspect adds is not visited.
// id names the construct that carries the aspect; it panics, as CDK does, when scope
// already has a child of that id.
func Resources(scope constructs.IConstruct, id string, priority *float64, visit func(awscdk.CfnResource)) {
	parent, ok := scope.(constructs.Construct)
	if !ok {
		panic("synthwalk.Resources: the scope " + *scope.Node().Path() + " is not a construct that can have children")
	}
	carrier := constructs.NewConstruct(parent, jsii.String(id))
	awscdk.Aspects_Of(carrier).Add(&walker{scope: scope, visit: visit}, &awscdk.AspectOptions{Priority: priority})
}

// walker is the aspect of Resources.
type walker struct {
	scope constructs.IConstruct
	visit func(awscdk.CfnResource)
}

// Visit is called once, for the carrier construct: it visits the scope's resources.
func (w *walker) Visit(constructs.IConstruct) {
	for _, child := range *w.scope.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if resource, ok := child.(awscdk.CfnResource); ok {
			w.visit(resource)
		}
	}
}
