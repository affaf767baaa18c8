package stacks_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

const (
	buildConnection  = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d"
	deployConnection = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"
)

var connectionBuild = map[string]any{
	"modelBuild.source": "connection", "modelBuild.connectionArn": buildConnection,
	"modelBuild.repository": "example-org/abalone-modelbuild", "modelBuild.branch": "trunk",
}

func bothConnections() map[string]any {
	ctx := map[string]any{
		"modelDeploy.source": "connection", "modelDeploy.connectionArn": deployConnection,
		"modelDeploy.repository": "example-group/ml/abalone-modeldeploy", "modelDeploy.url": "https://gitlab.com/example-group/ml/abalone-modeldeploy.git",
	}
	for k, v := range connectionBuild {
		ctx[k] = v
	}
	return ctx
}

// sourceAction is the first action of a pipeline's first stage.
func sourceAction(t *testing.T, tpl testutil.Template, pipelineName string) action {
	t.Helper()
	acts := actions(t, tpl.Named(t, "AWS::CodePipeline::Pipeline", "Name", pipelineName))
	require.NotEmpty(t, acts)
	require.Equal(t, "Source", acts[0].stage)
	return acts[0]
}

func TestConnectionRepositoriesReplaceCodeCommitAndTheirPushRules(t *testing.T) {
	tpl := projectTemplate(t, bothConnections())
	assert.Empty(t, tpl.Resources("AWS::CodeCommit::Repository"))
	for _, r := range tpl.Resources("AWS::Events::Rule") {
		source := r.Properties["EventPattern"].(map[string]any)["source"]
		assert.NotEqual(t, []any{"aws.codecommit"}, source, "no CodeCommit push rule remains: %s", r.LogicalID)
	}
	for name, want := range map[string]map[string]any{
		"sagemaker-abalone-p-abalonedemo1-modelbuild":  {"ConnectionArn": buildConnection, "FullRepositoryId": "example-org/abalone-modelbuild", "BranchName": "trunk", "DetectChanges": false},
		"sagemaker-abalone-p-abalonedemo1-modeldeploy": {"ConnectionArn": deployConnection, "FullRepositoryId": "example-group/ml/abalone-modeldeploy", "BranchName": "main", "DetectChanges": false},
	} {
		src := sourceAction(t, tpl, name)
		assert.Equal(t, "CodeStarSourceConnection", src.provider, name)
		assert.Equal(t, want, src.config, name)
		triggers := tpl.Named(t, "AWS::CodePipeline::Pipeline", "Name", name).Properties["Triggers"].([]any)
		require.Len(t, triggers, 1)
		assert.Equal(t, map[string]any{
			"ProviderType": "CodeStarSourceConnection",
			"GitConfiguration": map[string]any{
				"SourceActionName": "Source",
				"Push":             []any{map[string]any{"Branches": map[string]any{"Includes": []any{want["BranchName"]}}}},
			},
		}, triggers[0], "a push to the branch, and only that, starts %s", name)
	}
	urls := map[string]bool{}
	for _, r := range tpl.Resources("AWS::SageMaker::CodeRepository") {
		urls[testutil.Render(r.Properties["GitConfig"].(map[string]any)["RepositoryUrl"])] = true
	}
	assert.Equal(t, map[string]bool{
		"https://github.com/example-org/abalone-modelbuild.git":       true,
		"https://gitlab.com/example-group/ml/abalone-modeldeploy.git": true,
	}, urls, "both repositories are registered for SageMaker Studio")
}

func TestSeedingExistingRepositoriesRunsOnceThroughTheConnection(t *testing.T) {
	tpl := projectTemplate(t, bothConnections())
	seeds := tpl.Resources("Custom::SeedRepository")
	require.Len(t, seeds, 2)
	for _, s := range seeds {
		assert.Equal(t, "900", s.Properties["TimeoutSeconds"])
	}
	build := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-seed-modelbuild")
	env := envVars(build.Properties)
	assert.Equal(t, "https://codestar-connections.eu-west-1.amazonaws.com/git-http/111111111111/eu-west-1/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d/example-org/abalone-modelbuild.git", env["REMOTE_URL"])
	assert.Equal(t, "trunk", env["BRANCH"])
	assert.Equal(t, "modelbuild", env["SEED_NAME"])
	spec := build.Properties["Source"].(map[string]any)["BuildSpec"].(string)
	assert.Contains(t, spec, "credential-helper")
	assert.Contains(t, spec, "seed_repository.py")
	assert.NotContains(t, spec, "--force")
	var parsed struct {
		Env struct {
			Exported []string `json:"exported-variables"`
		} `json:"env"`
	}
	require.NoError(t, json.Unmarshal([]byte(spec), &parsed))
	assert.Equal(t, []string{"SEED_RESULT", "SEED_COMMIT", "SEED_ADDED", "SEED_KEPT"}, parsed.Env.Exported,
		"the build exports every result the custom resource returns")
	var logReads []string
	for _, s := range tpl.AllStatements() {
		if s.HasAction("logs:GetLogEvents") {
			assert.Equal(t, []string{"logs:GetLogEvents"}, s.Actions, s.Policy)
			logReads = append(logReads, s.Resources...)
		}
	}
	assert.ElementsMatch(t, []string{
		"arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/codebuild/sagemaker-abalone-p-abalonedemo1-seed-modelbuild:log-stream:*",
		"arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/codebuild/sagemaker-abalone-p-abalonedemo1-seed-modeldeploy:log-stream:*",
	}, logReads, "each seeding handler reads only its own build's log, for the script's failure line")
	secondary := build.Properties["SecondarySources"].([]any)
	require.Len(t, secondary, 1)
	assert.Equal(t, "seeder", secondary[0].(map[string]any)["SourceIdentifier"])

	for _, f := range tpl.Resources("AWS::Lambda::Function") {
		if strings.HasPrefix(testutil.Render(f.Properties["Handler"]), "handler.") {
			assert.Equal(t, "python3.14", f.Properties["Runtime"])
		}
	}
	var waiters []testutil.Resource
	for _, sm := range tpl.Resources("AWS::StepFunctions::StateMachine") {
		waiters = append(waiters, sm)
		assert.Equal(t, "ALL", sm.Properties["LoggingConfiguration"].(map[string]any)["Level"])
	}
	assert.Len(t, waiters, 2, "the provider framework waits for each build")

	for name, repository := range map[string]string{
		"sagemaker-abalone-p-abalonedemo1-modelbuild":  "example-org/abalone-modelbuild",
		"sagemaker-abalone-p-abalonedemo1-modeldeploy": "example-group/ml/abalone-modeldeploy",
	} {
		seeding := ""
		for _, s := range seeds {
			if s.Properties["Repository"] == repository {
				seeding = s.LogicalID
			}
		}
		require.NotEmpty(t, seeding, repository)
		assert.Contains(t, tpl.Named(t, "AWS::CodePipeline::Pipeline", "Name", name).Raw["DependsOn"], seeding,
			"%s is created, and runs, once its branch is seeded", name)
	}

	none := projectTemplate(t, map[string]any{"modelBuild.seedCode": "false", "modelDeploy.seedCode": "false"})
	assert.Empty(t, none.Resources("Custom::SeedRepository"))
	for _, repo := range none.Resources("AWS::CodeCommit::Repository") {
		assert.Nil(t, repo.Properties["Code"], "an empty CodeCommit repository when seedCode is false")
	}
}

// connectionUsers are the roles whose policies may use a connection, by the statements
// that grant it.
func connectionUsers(tpl testutil.Template) map[string][]string {
	out := map[string][]string{}
	for _, s := range tpl.AllStatements() {
		if s.HasAction("codestar-connections:UseConnection") || s.HasAction("codeconnections:UseConnection") {
			out[s.Policy] = append(out[s.Policy], s.Resources...)
		}
	}
	return out
}

func TestOnlyThePipelinesAndSeedingBuildsMayUseTheConnection(t *testing.T) {
	tpl := projectTemplate(t, bothConnections())
	users := connectionUsers(tpl)
	assert.Len(t, users, 4, "two source action roles and two seeding builds")
	allowed := map[string]bool{
		buildConnection: true, deployConnection: true,
		strings.Replace(buildConnection, "codeconnections", "codestar-connections", 1):  true,
		strings.Replace(deployConnection, "codestar-connections", "codeconnections", 1): true,
	}
	for policy, resources := range users {
		for _, r := range resources {
			assert.True(t, allowed[r], "%s uses %s", policy, r)
		}
		ok := strings.Contains(policy, "SourceActionRole") || strings.Contains(policy, "SeedBuild")
		assert.True(t, ok, "%s may use a connection", policy)
	}
}

func TestMixedSourcesKeepCodeCommitForTheOther(t *testing.T) {
	tpl := projectTemplate(t, connectionBuild)
	repos := tpl.Resources("AWS::CodeCommit::Repository")
	require.Len(t, repos, 1)
	assert.Equal(t, "sagemaker-abalone-p-abalonedemo1-modeldeploy", repos[0].Properties["RepositoryName"])
	assert.Equal(t, "CodeStarSourceConnection", sourceAction(t, tpl, "sagemaker-abalone-p-abalonedemo1-modelbuild").provider)
	assert.Equal(t, "CodeCommit", sourceAction(t, tpl, "sagemaker-abalone-p-abalonedemo1-modeldeploy").provider)
	pushRule(t, tpl, repos[0].LogicalID)
	assert.Nil(t, tpl.Named(t, "AWS::CodePipeline::Pipeline", "Name", "sagemaker-abalone-p-abalonedemo1-modeldeploy").Properties["Triggers"])
	assert.Len(t, tpl.Resources("Custom::SeedRepository"), 1, "only the existing repository needs a seeding build")
	for policy := range connectionUsers(tpl) {
		assert.NotContains(t, policy, "ModelDeploy", "the CodeCommit side never uses the connection")
	}
}
