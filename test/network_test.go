package test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/modelbuild"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// placedRoles are the logical ids of the roles of what runs in a VPC in tpl: build
// projects, functions, models and monitoring jobs placed there, and the SageMaker
// pipeline role its jobs run with.
func placedRoles(tpl testutil.Template) []string {
	roleOf := func(v any) string {
		return strings.TrimSuffix(strings.TrimPrefix(testutil.Render(v), "${"), ".Arn}")
	}
	var out []string
	for typ, props := range map[string][2]string{
		"AWS::CodeBuild::Project":                  {"VpcConfig", "ServiceRole"},
		"AWS::Lambda::Function":                    {"VpcConfig", "Role"},
		"AWS::SageMaker::Model":                    {"VpcConfig", "ExecutionRoleArn"},
		"AWS::SageMaker::DataQualityJobDefinition": {"NetworkConfig", "RoleArn"},
	} {
		for _, r := range tpl.Resources(typ) {
			if _, placed := r.Properties[props[0]]; placed {
				out = append(out, roleOf(r.Properties[props[1]]))
			}
			if typ == "AWS::CodeBuild::Project" {
				env, _ := r.Properties["Environment"].(map[string]any)
				for _, v := range asAnyList(env["EnvironmentVariables"]) {
					if vm := v.(map[string]any); vm["Name"] == "SAGEMAKER_PIPELINE_ROLE_ARN" && r.Properties[props[0]] != nil {
						out = append(out, roleOf(vm["Value"]))
					}
				}
			}
		}
	}
	return out
}

func asAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// The README's VPC endpoint list serves every AWS API that the roles of what runs in
// the VPC may call, and lists every endpoint of network.Endpoints.
func TestTheVpcEndpointListCoversWhatRunsInTheVpc(t *testing.T) {
	s := synthesizedConfig(t, "vpc")
	called := map[string][]string{}
	roles := 0
	for name, tpl := range s.templates {
		for _, role := range placedRoles(tpl) {
			roles++
			for _, st := range tpl.RoleStatements(role) {
				for _, action := range st.Actions {
					prefix := strings.SplitN(action, ":", 2)[0]
					called[prefix] = append(called[prefix], name+" "+role)
				}
			}
		}
	}
	require.GreaterOrEqual(t, roles, 8, "builds, functions, models, monitoring jobs and the pipeline role")
	var prefixes []string
	for p := range called {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, prefix := range prefixes {
		_, served := network.EndpointFor(prefix)
		assert.True(t, served || contains(network.NotCalledFromTheVpc, prefix), "no VPC endpoint serves %s, which %v may call", prefix, called[prefix])
	}
	for _, must := range []string{"sagemaker", "s3", "logs", "kms", "sts", "ecr", "cloudwatch", "codebuild"} {
		assert.Contains(t, prefixes, must, "a role placed in the VPC calls %s", must)
	}

	readme, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md"))
	require.NoError(t, err)
	for _, e := range network.Endpoints {
		assert.Contains(t, string(readme), "`"+e.Service+"`", "README.md does not list the VPC endpoint %s", e.Service)
	}
	assert.Contains(t, string(readme), "`"+modelbuild.EnvSubnetIDs+"`")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
