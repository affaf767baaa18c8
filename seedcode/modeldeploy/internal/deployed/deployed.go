// Package deployed reads what a stage's endpoint stack serves now: the template
// CloudFormation last deployed for it, and from that template the model version, the
// instance type and whether the variant autoscales. The build compares it with the
// template it synthesizes to decide whether an execution deploys anything.
package deployed

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Client is the part of the CloudFormation API the reader calls;
// *cloudformation.Client satisfies it.
type Client interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	GetTemplate(ctx context.Context, in *cloudformation.GetTemplateInput, opts ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
}

// Stack is a stage's endpoint stack as CloudFormation holds it.
type Stack struct {
	// Name is the stack's name.
	Name string
	// Template is the template the stack runs, nil when the stack does not exist or
	// never completed a deployment.
	Template map[string]any
}

// serving are the stack statuses in which the stack's template is what runs.
var serving = map[types.StackStatus]bool{
	types.StackStatusCreateComplete: true, types.StackStatusUpdateComplete: true,
	types.StackStatusUpdateRollbackComplete: true, types.StackStatusImportComplete: true,
}

// Read reads the stack named name. A stack that does not exist, or that is in a
// state where its template is not what runs (e.g. a failed first deployment), has no
// template.
func Read(ctx context.Context, c Client, name string) (Stack, error) {
	s := Stack{Name: name}
	out, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return s, nil
		}
		return s, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(out.Stacks) != 1 || !serving[out.Stacks[0].StackStatus] {
		return s, nil
	}
	tpl, err := c.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name), TemplateStage: types.TemplateStageOriginal})
	if err != nil {
		return s, fmt.Errorf("get the template of stack %s: %w", name, err)
	}
	if err := json.Unmarshal([]byte(aws.ToString(tpl.TemplateBody)), &s.Template); err != nil {
		return s, fmt.Errorf("stack %s runs a template that is not the JSON the deploy pipeline deploys: %v", name, err)
	}
	return s, nil
}

// Exists tells whether the stack runs a template.
func (s Stack) Exists() bool { return s.Template != nil }

// Runs tells whether the stack runs template, compared as JSON values.
func (s Stack) Runs(template map[string]any) bool {
	return s.Exists() && reflect.DeepEqual(s.Template, template)
}

// ModelPackageArn is the model version the stack's endpoint serves, "" when the stack
// does not exist or takes the version as a parameter (a stack deployed by hand).
func (s Stack) ModelPackageArn() string { return ModelPackageArn(s.Template) }

// InstanceType is the instance type of the stack's endpoint, "" when it has none
// (serverless) or the stack does not exist.
func (s Stack) InstanceType() string { return InstanceType(s.Template) }

// Autoscaled tells whether the stack registers its endpoint's variant with
// Application Auto Scaling.
func (s Stack) Autoscaled() bool { return Autoscaled(s.Template) }

// ModelPackageArn is the model version an endpoint stack template serves, "" when it
// names none.
func ModelPackageArn(template map[string]any) string {
	for _, props := range properties(template, "AWS::SageMaker::Model") {
		if c, ok := props["PrimaryContainer"].(map[string]any); ok {
			if arn, ok := c["ModelPackageName"].(string); ok {
				return arn
			}
		}
	}
	return ""
}

// InstanceType is the instance type of an endpoint stack template's variant, "" when
// it has none.
func InstanceType(template map[string]any) string {
	for _, props := range properties(template, "AWS::SageMaker::EndpointConfig") {
		if variants, ok := props["ProductionVariants"].([]any); ok && len(variants) > 0 {
			if v, ok := variants[0].(map[string]any); ok {
				t, _ := v["InstanceType"].(string)
				return t
			}
		}
	}
	return ""
}

// Autoscaled tells whether an endpoint stack template registers a scalable target.
func Autoscaled(template map[string]any) bool {
	return len(properties(template, "AWS::ApplicationAutoScaling::ScalableTarget")) > 0
}

// properties are the properties of template's resources of type typ.
func properties(template map[string]any, typ string) []map[string]any {
	resources, _ := template["Resources"].(map[string]any)
	var out []map[string]any
	for _, raw := range resources {
		r, _ := raw.(map[string]any)
		if r["Type"] == typ {
			props, _ := r["Properties"].(map[string]any)
			out = append(out, props)
		}
	}
	return out
}
