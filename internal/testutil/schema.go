package testutil

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// ResourceSchema is what CloudFormation's registry publishes of a resource type, as
// cfn-lint (installed by make test into .venv) ships it.
type ResourceSchema struct {
	// Taggable tells whether the type takes tags.
	Taggable bool
	// Permissions are the IAM actions of each handler (create, read, update, delete,
	// list) of the type's resource provider: what CloudFormation needs to manage it.
	Permissions map[string][]string
}

// ResourceSchemas reads the us-east-1 schemas of cfn-lint, by resource type.
func ResourceSchemas(t testing.TB) map[string]ResourceSchema {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(RepoRoot(), ".venv", "lib", "python3*", "site-packages", "cfnlint", "data", "schemas"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("cfn-lint's schemas (installed by make test into .venv): found %v, %v", matches, err)
	}
	dir := matches[0]
	var index map[string]string
	readJSON(t, filepath.Join(dir, "providers", "us-east-1.json"), &index)
	out := map[string]ResourceSchema{}
	for typ, file := range index {
		var raw struct {
			Tagging struct {
				Taggable *bool `json:"taggable"`
			} `json:"tagging"`
			Properties map[string]any `json:"properties"`
			Handlers   map[string]struct {
				Permissions []string `json:"permissions"`
			} `json:"handlers"`
		}
		readJSON(t, filepath.Join(dir, "resources", file+".json"), &raw)
		s := ResourceSchema{Permissions: map[string][]string{}}
		_, hasTags := raw.Properties["Tags"]
		s.Taggable = raw.Tagging.Taggable != nil && *raw.Tagging.Taggable || raw.Tagging.Taggable == nil && hasTags
		for handler, h := range raw.Handlers {
			s.Permissions[handler] = h.Permissions
		}
		out[typ] = s
	}
	return out
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
}
