package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/stacks/endpointstack"
)

// notTaggedByCDK are the resource types CloudFormation tags that the templates leave
// untagged, and why.
var notTaggedByCDK = map[string]string{
	"AWS::ApplicationAutoScaling::ScalableTarget": "CDK v2.270's CfnScalableTarget has no Tags, and its template validation rejects them",
}

// publishingStack is the one template of the app that belongs to no project: the
// Studio templates' publishing stack is the platform's, shared by every project
// created in Studio.
const publishingStack = "StudioTemplates.template.json"

// tagsOf are the tags of a resource, rendered.
func tagsOf(r map[string]any) map[string]string {
	props, _ := r["Properties"].(map[string]any)
	tags := map[string]string{}
	for _, tag := range asList(props["Tags"]) {
		m, _ := tag.(map[string]any)
		tags[testutil.Render(m["Key"])] = testutil.Render(m["Value"])
	}
	if m, ok := props["Tags"].(map[string]any); ok { // a map for CodeStar notification rules
		for k, v := range m {
			tags[k] = testutil.Render(v)
		}
	}
	return tags
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// checkProjectTags asserts that every resource of tpl whose type takes tags (by
// CloudFormation's registry schemas) carries the project's name and id, and returns
// how many it checked.
func checkProjectTags(t *testing.T, schemas map[string]testutil.ResourceSchema, where string, tpl testutil.Template, name, id string) int {
	checked := 0
	for logicalID, raw := range tpl["Resources"].(map[string]any) {
		r := raw.(map[string]any)
		typ := r["Type"].(string)
		if _, excused := notTaggedByCDK[typ]; excused || !schemas[typ].Taggable {
			continue
		}
		tags := tagsOf(r)
		assert.Equal(t, name, tags[project.TagProjectName], "%s: %s %s", where, typ, logicalID)
		assert.Equal(t, id, tags[project.TagProjectID], "%s: %s %s", where, typ, logicalID)
		checked++
	}
	return checked
}

// Every taggable resource of every template a project writes carries the project's
// tags: the project stack and the app's endpoint stacks of every configuration, the
// Studio project templates (from their parameters), and the endpoint stacks the
// deploy seed synthesizes from the environment the pipeline gives it.
func TestEveryTaggableResourceOfEveryProjectTemplateCarriesTheProjectTags(t *testing.T) {
	schemas := testutil.ResourceSchemas(t)
	for name, context := range configurations {
		cfg, err := config.Parse(context)
		require.NoError(t, err)
		s := synthesizedConfig(t, name)
		require.Contains(t, s.templates, "Project.template.json", name)
		for file, tpl := range s.templates {
			switch {
			case file == publishingStack:
				continue
			case strings.HasPrefix(file, "assembly-"):
				assert.Greater(t, checkProjectTags(t, schemas, name+"/"+file, tpl, "${SageMakerProjectName}", "${SageMakerProjectId}"), 20, file)
			default:
				assert.Greater(t, checkProjectTags(t, schemas, name+"/"+file, tpl, cfg.Project.Name, cfg.Project.ID), 2, file)
			}
		}
	}
	for stage, tpl := range seedEndpointTemplates(t) {
		assert.Greater(t, checkProjectTags(t, schemas, "deploy seed/"+string(stage), tpl, "abalone", "p-abalonedemo1"), 2, stage)
		for _, raw := range tpl["Resources"].(map[string]any) {
			r := raw.(map[string]any)
			if _, excused := notTaggedByCDK[r["Type"].(string)]; !excused && schemas[r["Type"].(string)].Taggable {
				assert.Equal(t, string(stage), tagsOf(r)[endpointstack.TagDeploymentStage])
			}
		}
	}
}

// The deployment role may create and manage SageMaker models and endpoint configs by
// their project-id tag only: the models and configs the deploy seed's endpoint stacks
// create carry the tag those conditions ask for, so CloudFormation can create,
// describe and delete them with the role. (moto does not evaluate IAM.)
func TestTheEndpointStacksTagsSatisfyTheDeploymentRolesConditions(t *testing.T) {
	project := synthesizedConfig(t, "default").templates["Project.template.json"]
	role := project.Named(t, "AWS::IAM::Role", "Description", "Deploys the endpoint stacks of SageMaker project abalone-p-abalonedemo1")
	statements := project.RoleStatements(role.LogicalID)
	fill := testutil.Filler(map[string]string{"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111"})
	checked := 0
	for stage, tpl := range seedEndpointTemplates(t) {
		for logicalID, raw := range tpl["Resources"].(map[string]any) {
			r := raw.(map[string]any)
			resource, create, manage := map[string][3]string{
				"AWS::SageMaker::Model":          {"model", "sagemaker:CreateModel", "sagemaker:DeleteModel"},
				"AWS::SageMaker::EndpointConfig": {"endpoint-config", "sagemaker:CreateEndpointConfig", "sagemaker:DeleteEndpointConfig"},
			}[r["Type"].(string)], "", ""
			if resource[0] == "" {
				continue
			}
			create, manage = resource[1], resource[2]
			// CloudFormation names them after the stack and the logical id.
			arn := "arn:aws:sagemaker:eu-west-1:111111111111:" + resource[0] + "/" + strings.ToLower(logicalID) + "-abcdef123456"
			tags := tagsOf(r)
			request := map[string]string{"aws:RequestTag/" + "sagemaker:project-id": tags["sagemaker:project-id"]}
			existing := map[string]string{"aws:ResourceTag/" + "sagemaker:project-id": tags["sagemaker:project-id"]}
			assert.True(t, testutil.Allows(statements, fill, create, arn, request), "%s: %s %s with its tags", stage, create, logicalID)
			assert.True(t, testutil.Allows(statements, fill, "sagemaker:AddTags", arn, request), "%s: tag %s", stage, logicalID)
			assert.True(t, testutil.Allows(statements, fill, manage, arn, existing), "%s: %s %s", stage, manage, logicalID)
			other := map[string]string{"aws:ResourceTag/" + "sagemaker:project-id": "p-otherproject"}
			assert.False(t, testutil.Allows(statements, fill, manage, arn, other), "%s: another project's %s", stage, resource[0])
			assert.False(t, testutil.Allows(statements, fill, create, arn, map[string]string{}), "%s: an untagged %s", stage, resource[0])
			checked++
		}
	}
	assert.Equal(t, 4, checked, "a model and an endpoint config per stage")
}

var seedTemplates map[project.Stage]testutil.Template

// seedEndpointTemplates runs the deploy seed's app as the default configuration's
// deploy pipeline bundles it, in the environment the pipeline's build project gives
// it (outside this repository's workspace, with the module proxy off), for a given
// model version, and reads the endpoint templates it writes.
func seedEndpointTemplates(t *testing.T) map[project.Stage]testutil.Template {
	if seedTemplates != nil {
		return seedTemplates
	}
	dir := seedAssets(t)["sagemaker-abalone-p-abalonedemo1-modeldeploy"]
	build := synthesizedConfig(t, "default").templates["Project.template.json"].
		Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy")
	out := t.TempDir()
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local",
		deploybuild.EnvModelPackageArn+"=arn:aws:sagemaker:eu-west-1:111111111111:model-package/abalone-p-abalonedemo1/3",
		deploybuild.EnvOutDir+"="+out)
	for _, v := range build.Properties["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		vm := v.(map[string]any)
		name := vm["Name"].(string)
		if name == deploybuild.EnvGoModCache || name == deploybuild.EnvGoBuildCache {
			continue // the build's cache paths, not this machine's
		}
		env = append(env, name+"="+testutil.Filler(map[string]string{"AWS::Region": "eu-west-1"})(testutil.Render(vm["Value"])))
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir, cmd.Env = dir, env
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "the deploy seed's app:\n%s", output)
	seedTemplates = map[project.Stage]testutil.Template{}
	for _, stage := range project.PipelineStages() {
		seedTemplates[stage] = readJSON[testutil.Template](t, filepath.Join(out, deploybuild.TemplateFile(stage)))
	}
	return seedTemplates
}
