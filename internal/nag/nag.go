// Package nag records why a construct is allowed to break a cdk-nag rule. Every
// suppression carries a reason, and a suppression of a wildcard finding names the exact
// wildcard it accepts (literally, or by a pattern anchored at both ends), so a new
// wildcard is still reported.
//
// Suppressions are written as the resource or template metadata cdk-nag reads
// (`cdk_nag`, in the format its NagSuppressions class writes), without loading
// cdk-nag into the synth: loading it costs a Go CDK app about 0.15 s, and only the
// checks need it.
package nag

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/internal/tokens"
)

// metadataKey is the resource metadata cdk-nag reads suppressions from.
const metadataKey = "cdk_nag"

// Rule is one accepted finding.
type Rule struct {
	// ID is the cdk-nag rule, e.g. "AwsSolutions-IAM5".
	ID string
	// Reason says why the finding is acceptable here, in 10 characters or more.
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

// metadata is r as one entry of cdk-nag's `rules_to_suppress` list. It panics when r
// would not be accepted by cdk-nag: an unexplained suppression is a finding hidden,
// not accepted, and a bad pattern is a programming error that must fail the synth.
func (r Rule) metadata() map[string]interface{} {
	if r.ID == "" || strings.ContainsAny(r.ID, "[]") {
		panic(fmt.Sprintf("nag.Suppress: rule id %q must name a rule, e.g. AwsSolutions-IAM5, with any finding in AppliesTo", r.ID))
	}
	if len([]rune(r.Reason)) < 10 {
		panic(fmt.Sprintf("nag.Suppress: rule %s needs a reason of 10 characters or more, got %q", r.ID, r.Reason))
	}
	entry := map[string]interface{}{"id": r.ID, "reason": r.Reason}
	// cdk-nag stores a reason with characters beyond Latin-1 in base64.
	if strings.IndexFunc(r.Reason, func(c rune) bool { return c > 255 }) >= 0 {
		entry["reason"] = base64.StdEncoding.EncodeToString([]byte(r.Reason))
		entry["is_reason_encoded"] = true
	}
	var applies []interface{}
	for _, a := range r.AppliesTo {
		applies = append(applies, a)
	}
	for _, p := range r.AppliesToPatterns {
		regexp.MustCompile(p)
		applies = append(applies, map[string]interface{}{"regex": "/^" + p + "$/"})
	}
	if len(applies) > 0 {
		entry["applies_to"] = applies
	}
	return entry
}

// Suppress accepts rules on every CloudFormation resource of c and below it, as
// cdk-nag's NagSuppressions.addResourceSuppressions does with applyToChildren; on a
// stack, it writes them in the stack's template metadata, as
// NagSuppressions.addStackSuppressions does, which cdk-nag applies to every resource
// of the stack (two calls to jsii instead of two per resource). It panics when a rule
// has no reason of 10 characters or more, or a bad pattern.
func Suppress(c constructs.IConstruct, rules ...Rule) {
	entries := make([]interface{}, 0, len(rules))
	for _, r := range rules {
		entries = append(entries, r.metadata())
	}
	if stack, ok := c.(awscdk.Stack); ok && *awscdk.Stack_IsStack(c) {
		options := stack.TemplateOptions()
		metadata := map[string]interface{}{}
		if existing := options.Metadata(); existing != nil {
			metadata = *existing
		}
		metadata[metadataKey] = merged(metadata[metadataKey], entries)
		options.SetMetadata(&metadata)
		return
	}
	for _, child := range *c.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if resource, ok := child.(awscdk.CfnResource); ok {
			resource.AddMetadata(jsii.String(metadataKey), merged(resource.GetMetadata(jsii.String(metadataKey)), entries))
		}
	}
}

// merged appends entries to the suppressions of the cdk_nag metadata existing,
// dropping exact repeats as cdk-nag does.
func merged(existing interface{}, entries []interface{}) map[string]interface{} {
	var rules []interface{}
	if md, ok := existing.(map[string]interface{}); ok {
		rules, _ = md["rules_to_suppress"].([]interface{})
	}
	seen := map[string]bool{}
	var all []interface{}
	for _, e := range append(rules, entries...) {
		key, err := json.Marshal(e)
		if err != nil {
			panic("nag.Suppress: " + err.Error())
		}
		if !seen[string(key)] {
			seen[string(key)] = true
			all = append(all, e)
		}
	}
	return map[string]interface{}{"rules_to_suppress": all}
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

// Text is how cdk-nag writes s in a finding: s itself when it is a literal; when it
// holds tokens (a parameter's value, a resource's attribute), the CloudFormation value
// it resolves to in scope's stack, flattened the way cdk-nag flattens references:
// `<Name>` for a Ref, `<LogicalId.Attr>` for a GetAtt, the parts of an Fn::Join joined.
func Text(scope constructs.IConstruct, s string) string {
	if !tokens.Is(s) {
		return s
	}
	return flatten(awscdk.Stack_Of(scope).Resolve(jsii.String(s)))
}

// flatten renders a resolved CloudFormation value as cdk-nag's flattenCfnReference
// does.
func flatten(v interface{}) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return strings.NewReplacer("${", "<", "}", ">").Replace(t)
	case map[string]interface{}:
		if join, ok := t["Fn::Join"].([]interface{}); ok && len(join) == 2 {
			delimiter, _ := join[0].(string)
			items, _ := join[1].([]interface{})
			parts := make([]string, len(items))
			for i, item := range items {
				parts[i] = flatten(item)
			}
			return strings.Join(parts, delimiter)
		}
		if sub, ok := t["Fn::Sub"]; ok {
			return flatten(sub)
		}
		if getAtt, ok := t["Fn::GetAtt"].([]interface{}); ok && len(getAtt) == 2 {
			return "<" + flatten(getAtt[0]) + "." + flatten(getAtt[1]) + ">"
		}
		if ref, ok := t["Ref"]; ok {
			return "<" + flatten(ref) + ">"
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic("nag.Text: " + err.Error())
	}
	return string(data)
}

// ArnPattern matches a finding of a resource ARN of service whose resource part is
// resource (matched literally), in any partition, region and account, whether they are
// literals or pseudo-parameter tokens.
func ArnPattern(service, resource string) string {
	return `Resource::arn:(<AWS::Partition>|aws[a-z-]*):` + regexp.QuoteMeta(service) +
		`:(<AWS::Region>|[a-z0-9-]*):(<AWS::AccountId>|[0-9]{12}|\*|):` + regexp.QuoteMeta(resource)
}

// ArnPatternOf is ArnPattern for arn, an ARN that may hold tokens (one the CDK formats
// in a stack): its service and resource as cdk-nag writes them.
func ArnPatternOf(scope constructs.IConstruct, arn *string) string {
	m := renderedArn.FindStringSubmatch(Text(scope, *arn))
	if m == nil {
		panic("nag.ArnPatternOf: " + *arn + " is not an ARN")
	}
	return ArnPattern(m[1], m[2])
}

// renderedArn splits an ARN as cdk-nag writes it, where a part may be a reference
// such as <AWS::Region>, into its service and resource.
var renderedArn = regexp.MustCompile(`^arn:(?:<[^>]*>|[^:]*):([^:]*):(?:<[^>]*>|[^:]*):(?:<[^>]*>|[^:]*):(.*)$`)

// Resource is how cdk-nag reports a grant on arn, an ARN that may hold tokens:
// `Resource::` and the ARN as Text writes it.
func Resource(scope constructs.IConstruct, arn *string) string {
	return "Resource::" + Text(scope, *arn)
}

// PipelineArtifactsRule accepts the wildcards of the grants CDK gives a CodePipeline
// whose artifacts live in bucket (created in the stack or imported), and its actions'
// and builds' roles.
func PipelineArtifactsRule(bucket awss3.IBucket) Rule {
	return Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "CDK's standard grants let CodePipeline, its actions and builds read and write pipeline artifacts, under generated keys, in the project's own pipeline artifact bucket and key.",
		AppliesTo: append([]string{Resource(bucket, bucket.ArnForObjects(jsii.String("*")))}, PipelineArtifactActions...),
	}
}

// PipelineArtifactActions are the wildcard actions of the grants CDK gives CodePipeline
// and its actions on the pipeline's artifact bucket and key.
var PipelineArtifactActions = []string{
	"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*",
	"Action::s3:DeleteObject*", "Action::s3:Abort*",
	"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*",
}
