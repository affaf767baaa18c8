package deployed

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"modeldeploy/internal/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

const version = "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abalonedemo1/3"

// A template of a model and an endpoint config, as an endpoint stack has them.
var template = map[string]any{
	"Resources": map[string]any{
		"Model": map[string]any{"Type": "AWS::SageMaker::Model", "Properties": map[string]any{
			"ExecutionRoleArn": "arn:aws:iam::123456789012:role/model",
			"PrimaryContainer": map[string]any{"ModelPackageName": version},
		}},
		"Config": map[string]any{"Type": "AWS::SageMaker::EndpointConfig", "Properties": map[string]any{
			"ProductionVariants": []any{map[string]any{
				"VariantName": "AllTraffic", "ModelName": map[string]any{"Fn::GetAtt": []any{"Model", "ModelName"}},
				"InstanceType": "ml.m5.large", "InitialInstanceCount": 1.0, "InitialVariantWeight": 1.0,
			}},
		}},
	},
}

func TestReadsTheTemplateAStackRuns(t *testing.T) {
	s := motoserver.Shared(t)
	cf := cloudformation.NewFromConfig(s.Config(t))
	ctx := context.Background()

	missing, err := Read(ctx, cf, "sagemaker-abalone-p-abalonedemo1-deploy-prod")
	require.NoError(t, err)
	assert.False(t, missing.Exists(), "no stack yet")
	assert.Empty(t, missing.ModelPackageArn())
	assert.False(t, missing.Runs(template))

	body, err := json.Marshal(template)
	require.NoError(t, err)
	_, err = cf.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("sagemaker-abalone-p-abalonedemo1-deploy-prod"), TemplateBody: aws.String(string(body))})
	require.NoError(t, err)

	st, err := Read(ctx, cf, "sagemaker-abalone-p-abalonedemo1-deploy-prod")
	require.NoError(t, err)
	assert.True(t, st.Exists())
	assert.True(t, st.Runs(template), "the same template, compared as JSON")
	assert.Equal(t, version, st.ModelPackageArn())
	assert.Equal(t, "ml.m5.large", st.InstanceType())
	assert.False(t, st.Autoscaled())

	other := map[string]any{"Resources": map[string]any{"Model": template["Resources"].(map[string]any)["Model"]}}
	assert.False(t, st.Runs(other))
}

func TestReadsAutoscalingFromTheTemplate(t *testing.T) {
	scaled := map[string]any{"Resources": map[string]any{"Target": map[string]any{"Type": "AWS::ApplicationAutoScaling::ScalableTarget"}}}
	assert.True(t, Autoscaled(scaled))
	assert.False(t, Autoscaled(template))
	assert.Empty(t, InstanceType(map[string]any{}), "serverless or no stack")
}
