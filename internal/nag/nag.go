// Package nag records why a construct is allowed to break a cdk-nag rule. Every
// suppression carries a reason, and a suppression of a wildcard finding names the exact
// wildcard it accepts (literally, or by a pattern anchored at both ends), so a new
// wildcard is still reported.
package nag

import (
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Rule is one accepted finding.
type Rule struct {
	// ID is the cdk-nag rule, e.g. "AwsSolutions-IAM5".
	ID string
	// Reason says why the finding is acceptable here. Required.
	Reason string
	// AppliesTo limits the suppression to these findings of a rule that reports
	// several (e.g. "Action::s3:GetObject*").
	AppliesTo []string
	// AppliesToPatterns limits the suppression to findings matching these regular
	// expressions (anchored at both ends), for findings whose text depends on the
	// stack's environment, such as ARNs. Empty AppliesTo and AppliesToPatterns mean
	// every finding of the rule on the construct.
	AppliesToPatterns []string
}

// Suppress accepts rules on c and everything below it. It panics when a rule has no
// reason, since an unexplained suppression is a finding hidden, not accepted.
func Suppress(c constructs.IConstruct, rules ...Rule) {
	suppressions := make([]*cdknag.NagPackSuppression, 0, len(rules))
	for _, r := range rules {
		if r.Reason == "" {
			panic("nag.Suppress: rule " + r.ID + " needs a reason")
		}
		s := &cdknag.NagPackSuppression{Id: jsii.String(r.ID), Reason: jsii.String(r.Reason)}
		var applies []interface{}
		for _, a := range r.AppliesTo {
			applies = append(applies, a)
		}
		for _, p := range r.AppliesToPatterns {
			regexp.MustCompile(p) // a bad pattern is a programming error: fail at synth
			applies = append(applies, &cdknag.RegexAppliesTo{Regex: jsii.String("/^" + p + "$/")})
		}
		if len(applies) > 0 {
			s.AppliesTo = &applies
		}
		suppressions = append(suppressions, s)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &suppressions, jsii.Bool(true))
}

// Ref is how cdk-nag writes a reference to the CloudFormation resource of c (an L1, or
// an L2 whose default child is one) in a finding: `<LogicalId>`.
func Ref(c constructs.IConstruct) string {
	return "<" + logicalID(c) + ">"
}

// Attr is how cdk-nag writes an attribute of the resource of c in a finding:
// `<LogicalId.Attr>`.
func Attr(c constructs.IConstruct, attr string) string {
	return "<" + logicalID(c) + "." + attr + ">"
}

func logicalID(c constructs.IConstruct) string {
	if child := c.Node().DefaultChild(); child != nil {
		c = child
	}
	element, ok := c.(awscdk.CfnElement)
	if !ok {
		panic("nag: " + *c.Node().Path() + " has no CloudFormation resource")
	}
	return *awscdk.Stack_Of(c).GetLogicalId(element)
}

// ArnPattern matches a finding of a resource ARN of service whose resource part is
// resource (matched literally), in any partition, region and account, whether they are
// literals or pseudo-parameter tokens.
func ArnPattern(service, resource string) string {
	return `Resource::arn:(<AWS::Partition>|aws[a-z-]*):` + regexp.QuoteMeta(service) +
		`:(<AWS::Region>|[a-z0-9-]*):(<AWS::AccountId>|[0-9]{12}|\*|):` + regexp.QuoteMeta(resource)
}

// PipelineArtifactsRule accepts the wildcards of the grants CDK gives a CodePipeline
// whose artifacts live in bucket, and its actions' and builds' roles.
func PipelineArtifactsRule(bucket constructs.IConstruct) Rule {
	return Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "CDK's standard grants let CodePipeline, its actions and builds read and write pipeline artifacts, under generated keys, in the project's own pipeline artifact bucket and key.",
		AppliesTo: append([]string{"Resource::" + Attr(bucket, "Arn") + "/*"}, PipelineArtifactActions...),
	}
}

// PipelineArtifactActions are the wildcard actions of the grants CDK gives CodePipeline
// and its actions on the pipeline's artifact bucket and key.
var PipelineArtifactActions = []string{
	"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*",
	"Action::s3:DeleteObject*", "Action::s3:Abort*",
	"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*",
}
