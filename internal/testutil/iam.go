package testutil

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Statement is one IAM policy statement of a template, with its resources rendered
// as strings (see Render).
type Statement struct {
	// Policy is the logical id of the resource that holds the statement.
	Policy     string
	Sid        string
	Effect     string
	Actions    []string
	Resources  []string
	Principals []string
	Conditions map[string]any
}

// HasAction tells whether the statement lists action exactly.
func (s Statement) HasAction(action string) bool {
	for _, a := range s.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// RoleStatements returns the statements of every identity policy attached to the role
// with the given logical id: inline policies and AWS::IAM::Policy resources.
func (tpl Template) RoleStatements(roleID string) []Statement {
	var out []Statement
	role := tpl.resourceMap(roleID)
	props, _ := role["Properties"].(map[string]any)
	for _, p := range asList(props["Policies"]) {
		pm, _ := p.(map[string]any)
		out = append(out, statements(roleID, pm["PolicyDocument"])...)
	}
	for _, p := range tpl.Resources("AWS::IAM::Policy") {
		for _, r := range asList(p.Properties["Roles"]) {
			if Render(r) == "${"+roleID+"}" {
				out = append(out, statements(p.LogicalID, p.Properties["PolicyDocument"])...)
			}
		}
	}
	return out
}

// ManagedPolicyStatements returns the statements of the managed policy with the
// given logical id.
func (tpl Template) ManagedPolicyStatements(t testing.TB, policyID string) []Statement {
	t.Helper()
	p := tpl.Resource(t, policyID)
	if p.Type != "AWS::IAM::ManagedPolicy" {
		t.Fatalf("%s is a %s, not a managed policy", policyID, p.Type)
	}
	return statements(policyID, p.Properties["PolicyDocument"])
}

// AllStatements returns every statement of the template: identity policies, bucket
// policies, key policies and role trust policies.
func (tpl Template) AllStatements() []Statement {
	var out []Statement
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy"} {
		for _, r := range tpl.Resources(typ) {
			out = append(out, statements(r.LogicalID, r.Properties["PolicyDocument"])...)
		}
	}
	for _, r := range tpl.Resources("AWS::KMS::Key") {
		out = append(out, statements(r.LogicalID, r.Properties["KeyPolicy"])...)
	}
	for _, r := range tpl.Resources("AWS::IAM::Role") {
		out = append(out, statements(r.LogicalID, r.Properties["AssumeRolePolicyDocument"])...)
		for _, p := range asList(r.Properties["Policies"]) {
			pm, _ := p.(map[string]any)
			out = append(out, statements(r.LogicalID, pm["PolicyDocument"])...)
		}
	}
	for _, r := range tpl.Resources("AWS::SageMaker::ModelPackageGroup") {
		if doc, ok := r.Properties["ModelPackageGroupPolicy"]; ok {
			out = append(out, statements(r.LogicalID, doc)...)
		}
	}
	return out
}

func (tpl Template) resourceMap(id string) map[string]any {
	all, _ := tpl["Resources"].(map[string]any)
	r, _ := all[id].(map[string]any)
	return r
}

func statements(policy string, doc any) []Statement {
	d, _ := doc.(map[string]any)
	var out []Statement
	for _, s := range asList(d["Statement"]) {
		sm, _ := s.(map[string]any)
		st := Statement{Policy: policy}
		st.Sid, _ = sm["Sid"].(string)
		st.Effect, _ = sm["Effect"].(string)
		for _, a := range asList(sm["Action"]) {
			st.Actions = append(st.Actions, Render(a))
		}
		for _, r := range asList(sm["Resource"]) {
			st.Resources = append(st.Resources, Render(r))
		}
		st.Principals = principals(sm["Principal"])
		st.Conditions, _ = sm["Condition"].(map[string]any)
		out = append(out, st)
	}
	return out
}

func principals(p any) []string {
	switch t := p.(type) {
	case nil:
		return nil
	case string:
		return []string{t}
	case map[string]any:
		var out []string
		for kind, v := range t {
			for _, x := range asList(v) {
				out = append(out, kind+":"+Render(x))
			}
		}
		sort.Strings(out)
		return out
	}
	return []string{Render(p)}
}

func asList(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	default:
		return []any{t}
	}
}

// Render turns a CloudFormation value into a readable string: `Ref` becomes `${Id}`,
// `Fn::GetAtt` `${Id.Attr}`, `Fn::Join` is joined, `Fn::Sub` keeps its template, and
// anything else is printed as Go prints it.
func Render(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if ref, ok := t["Ref"]; ok {
			return "${" + Render(ref) + "}"
		}
		if att, ok := t["Fn::GetAtt"]; ok {
			parts := asList(att)
			strs := make([]string, len(parts))
			for i, p := range parts {
				strs[i] = Render(p)
			}
			return "${" + strings.Join(strs, ".") + "}"
		}
		if join, ok := t["Fn::Join"].([]any); ok && len(join) == 2 {
			sep, _ := join[0].(string)
			var parts []string
			for _, p := range asList(join[1]) {
				parts = append(parts, Render(p))
			}
			return strings.Join(parts, sep)
		}
		if sub, ok := t["Fn::Sub"]; ok {
			if s, ok := sub.(string); ok {
				return s
			}
			return Render(asList(sub)[0])
		}
	}
	return fmt.Sprint(v)
}
