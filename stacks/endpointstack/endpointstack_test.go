package endpointstack_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/stacks/endpointstack"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const approvedArn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/abalone-p-abalonedemo1/7"

var abalone = project.Identity{Name: "abalone", ID: "p-abalonedemo1"}

// The same endpoint stack synthesized in two apps gives byte-identical templates (no
// timestamps, no random names).
func TestTheEndpointStackIsDeterministic(t *testing.T) {
	synth := func() []byte {
		app := testutil.NewApp(t, "", nil)
		stack := endpointstack.NewEndpointStack(app, "Staging", &endpointstack.EndpointStackProps{
			Project: abalone, Stage: project.Staging, Settings: config.DefaultStage(project.Staging),
			ModelPackageArn: approvedArn,
		})
		data, err := json.Marshal(testutil.Synth(t, stack.Stack))
		require.NoError(t, err)
		return data
	}
	first, second := synth(), synth()
	assert.Equal(t, string(first), string(second))
	assert.NotContains(t, string(first), "cdk-hnb659fds-assets", "an endpoint stack has no asset")
}

// In another account than the project's, an instance endpoint has a storage key of its
// own and staging lets the project's test gate invoke it; prod has no tester role.
func TestAStageInAnotherAccountHasItsOwnKeyAndTesterRole(t *testing.T) {
	app := testutil.NewApp(t, "", nil)
	elsewhere := func(stage project.Stage) awscdk.Stack {
		return endpointstack.NewEndpointStack(app, stage.Title(), &endpointstack.EndpointStackProps{
			StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}},
			Project:    abalone, Stage: stage, Settings: config.DefaultStage(stage), ModelPackageArn: approvedArn,
			ArtifactsAccount: "111111111111", ArtifactsRegion: "eu-west-1",
		}).Stack
	}
	stagingStack, prodStack := elsewhere(project.Staging), elsewhere(project.Prod)
	staging, prod := testutil.Synth(t, stagingStack), testutil.Synth(t, prodStack)
	for name, tpl := range map[string]testutil.Template{"staging": staging, "prod": prod} {
		assert.Len(t, tpl.Resources("AWS::KMS::Key"), 1, name)
	}
	tester := staging.Named(t, "AWS::IAM::Role", "RoleName", "sagemaker-p-abalonedemo1-staging-tester")
	trust := tester.Properties["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
	require.Len(t, trust, 1)
	statement := trust[0].(map[string]any)
	assert.Equal(t, "arn:aws:iam::111111111111:root", testutil.Render(statement["Principal"].(map[string]any)["AWS"]))
	assert.Equal(t, map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": "arn:aws:iam::111111111111:role/sagemaker-p-abalonedemo1-testing"}}, statement["Condition"],
		"only the project's test gate role of the project account may assume it")
	for _, r := range prod.Resources("AWS::IAM::Role") {
		assert.NotContains(t, testutil.Render(r.Properties["RoleName"]), "tester")
	}
}

func TestAnInvalidStagePanicsWithTheReason(t *testing.T) {
	app := testutil.NewApp(t, "", nil)
	settings := config.DefaultStage(project.Staging)
	settings.Hosting = config.Serverless
	defer func() {
		r := recover()
		require.NotNil(t, r)
		assert.Contains(t, r, "serverless endpoints cannot capture data")
	}()
	endpointstack.NewEndpointStack(app, "Bad", &endpointstack.EndpointStackProps{Project: abalone, Stage: project.Staging, Settings: settings})
}

// The staging endpoint of a project, for the model version the CloudFormation
// parameter ModelPackageArn names at deployment.
func ExampleNewEndpointStack() {
	app := awscdk.NewApp(nil)
	stack := endpointstack.NewEndpointStack(app, "Staging", &endpointstack.EndpointStackProps{
		Project:  project.Identity{Name: "churn", ID: "p-churn0001"},
		Stage:    project.Staging,
		Settings: config.DefaultStage(project.Staging),
	})
	fmt.Println(*stack.StackName(), stack.Endpoint.Name)
	// Output:
	// sagemaker-churn-p-churn0001-deploy-staging churn-p-churn0001-staging
}
