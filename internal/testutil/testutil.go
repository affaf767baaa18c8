// Package testutil is what the Go tests of this module share: a CDK app configured like
// the deployed one (the feature flags of cdk.json), one synthesis per stack turned into
// plain Go values, and small finders over a template.
package testutil

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"
)

// Main runs a package's tests and stops the jsii runtime once, after all of them.
func Main(m *testing.M) {
	code := m.Run()
	jsiiclose.Close()
	os.Exit(code)
}

// RepoRoot is the module's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// cliContext is the context the CDK CLI adds to every `cdk synth` by default, so that
// tests synthesize exactly what the CLI writes.
var cliContext = map[string]any{
	"aws:cdk:enable-path-metadata":  true,
	"aws:cdk:enable-asset-metadata": true,
	"aws:cdk:version-reporting":     true,
	"aws:cdk:bundling-stacks":       []any{"**"},
}

// CDKContext returns the context of cdk.json (the feature flags the app deploys with)
// and of the CDK CLI, merged with extra, which wins.
func CDKContext(t testing.TB, extra map[string]any) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(RepoRoot(), "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var cdk struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &cdk); err != nil {
		t.Fatalf("parse cdk.json: %v", err)
	}
	for k, v := range cliContext {
		cdk.Context[k] = v
	}
	for k, v := range extra {
		cdk.Context[k] = v
	}
	return cdk.Context
}

// NewApp returns an app with the cdk.json context plus extra, writing its cloud
// assembly to outdir, or to a temporary directory of the test when outdir is empty.
func NewApp(t testing.TB, outdir string, extra map[string]any) awscdk.App {
	t.Helper()
	ctx := CDKContext(t, extra)
	if outdir == "" {
		outdir = t.TempDir()
	}
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: &outdir})
}

// Template is a synthesized CloudFormation template as plain Go values.
type Template map[string]any

// Synth synthesizes stack once and returns its template.
func Synth(t testing.TB, stack awscdk.Stack) Template {
	t.Helper()
	raw := assertions.Template_FromStack(stack, nil).ToJSON()
	data, err := json.Marshal(raw)
	if err != nil {
		t.Fatalf("marshal template: %v", err)
	}
	var tpl Template
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatalf("unmarshal template: %v", err)
	}
	return tpl
}

// Resource is one template resource with its logical id.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	Raw        map[string]any
}

// Resources returns the template's resources of type typ, sorted by logical id.
func (tpl Template) Resources(typ string) []Resource {
	all, _ := tpl["Resources"].(map[string]any)
	var out []Resource
	for id, r := range all {
		res, _ := r.(map[string]any)
		if res["Type"] != typ {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		out = append(out, Resource{LogicalID: id, Type: typ, Properties: props, Raw: res})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// One returns the only resource of type typ, failing the test when there is not
// exactly one.
func (tpl Template) One(t testing.TB, typ string) Resource {
	t.Helper()
	rs := tpl.Resources(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, found %d", typ, len(rs))
	}
	return rs[0]
}

// Named returns the resource of type typ whose property prop equals value, failing the
// test when there is not exactly one.
func (tpl Template) Named(t testing.TB, typ, prop, value string) Resource {
	t.Helper()
	var found []Resource
	for _, r := range tpl.Resources(typ) {
		if Render(r.Properties[prop]) == value {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s with %s %q, found %d", typ, prop, value, len(found))
	}
	return found[0]
}

// Resource returns the resource with the given logical id.
func (tpl Template) Resource(t testing.TB, logicalID string) Resource {
	t.Helper()
	all, _ := tpl["Resources"].(map[string]any)
	res, ok := all[logicalID].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s", logicalID)
	}
	typ, _ := res["Type"].(string)
	props, _ := res["Properties"].(map[string]any)
	return Resource{LogicalID: logicalID, Type: typ, Properties: props, Raw: res}
}

// Types returns the set of resource types in the template.
func (tpl Template) Types() map[string]int {
	all, _ := tpl["Resources"].(map[string]any)
	out := map[string]int{}
	for _, r := range all {
		res, _ := r.(map[string]any)
		typ, _ := res["Type"].(string)
		out[typ]++
	}
	return out
}

// Only is the one element of the template list v, as a map; it fails the test (and
// only the test) when v is not a list of exactly one object.
func Only(t testing.TB, v any) map[string]any {
	t.Helper()
	list, _ := v.([]any)
	if len(list) != 1 {
		t.Fatalf("want a list of exactly one element, got %v", v)
	}
	return Item(t, v, 0)
}

// Item is element i of the template list v, as a map; it fails the test (and only the
// test) when v has no such element or it is no object.
func Item(t testing.TB, v any, i int) map[string]any {
	t.Helper()
	list, _ := v.([]any)
	if i >= len(list) {
		t.Fatalf("want an element %d, got %v", i, v)
	}
	m, ok := list[i].(map[string]any)
	if !ok {
		t.Fatalf("element %d of %v is no object", i, v)
	}
	return m
}

// ActionRoles maps each action of a CodePipeline pipeline to the role it runs as, as
// rendered by Render: empty when the action declares none and so runs as the
// pipeline's own role.
func ActionRoles(pipeline Resource) map[string]string {
	out := map[string]string{}
	stages, _ := pipeline.Properties["Stages"].([]any)
	for _, s := range stages {
		stage, _ := s.(map[string]any)
		actions, _ := stage["Actions"].([]any)
		for _, a := range actions {
			action, _ := a.(map[string]any)
			role := ""
			if arn, ok := action["RoleArn"]; ok {
				role = Render(arn)
			}
			out[fmt.Sprint(stage["Name"], "/", action["Name"])] = role
		}
	}
	return out
}
