package stacks_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
)

const approvedArn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/abalone-p-abalonedemo1/7"

// endpointTemplates synthesizes the app's two endpoint stacks for a context once.
var endpointCache = map[string][2]testutil.Template{}

func endpointTemplates(t *testing.T, context map[string]any) (staging, prod testutil.Template) {
	t.Helper()
	key := testutil.Render(context)
	if tpls, ok := endpointCache[key]; ok {
		return tpls[0], tpls[1]
	}
	cfg, err := config.Parse(context)
	require.NoError(t, err)
	p := stacks.NewProject(testutil.NewApp(t, "", context), cfg)
	tpls := [2]testutil.Template{testutil.Synth(t, p.Staging.Stack), testutil.Synth(t, p.Prod.Stack)}
	assert.Equal(t, "sagemaker-"+cfg.Project.NameID()+"-deploy-staging", *p.Staging.StackName())
	assert.Equal(t, "sagemaker-"+cfg.Project.NameID()+"-deploy-prod", *p.Prod.StackName())
	endpointCache[key] = tpls
	return tpls[0], tpls[1]
}

func TestAppEndpointStacksServeTheOriginalsStages(t *testing.T) {
	staging, prod := endpointTemplates(t, nil)
	for stage, tpl := range map[string]testutil.Template{"staging": staging, "prod": prod} {
		assert.Equal(t, "abalone-p-abalonedemo1-"+stage, tpl.One(t, "AWS::SageMaker::Endpoint").Properties["EndpointName"])
		variant := testutil.Only(t, tpl.One(t, "AWS::SageMaker::EndpointConfig").Properties["ProductionVariants"])
		assert.Equal(t, "ml.m5.large", variant["InstanceType"], stage)
		assert.Equal(t, 1.0, variant["InitialInstanceCount"], stage)
		capture := tpl.One(t, "AWS::SageMaker::EndpointConfig").Properties["DataCaptureConfig"].(map[string]any)
		assert.Equal(t, "s3://sagemaker-project-p-abalonedemo1/datacapture-"+stage, capture["DestinationS3Uri"])
		// Without modelPackageArn the model version is a parameter of the stack.
		assert.Equal(t, "${ModelPackageArn}", testutil.Render(tpl.One(t, "AWS::SageMaker::Model").Properties["PrimaryContainer"].(map[string]any)["ModelPackageName"]))
		params := tpl["Parameters"].(map[string]any)
		assert.Contains(t, params, "ModelPackageArn")
		assert.NotContains(t, params, "BootstrapVersion", "the pipeline's CloudFormation action deploys without the bootstrap check")
		assert.NotContains(t, tpl, "Rules")
	}
	assert.Equal(t, 100.0, staging.One(t, "AWS::SageMaker::EndpointConfig").Properties["DataCaptureConfig"].(map[string]any)["InitialSamplingPercentage"])
	assert.Equal(t, 80.0, prod.One(t, "AWS::SageMaker::EndpointConfig").Properties["DataCaptureConfig"].(map[string]any)["InitialSamplingPercentage"])
}

func TestAppEndpointStacksTakeStageSettingsAndTheModelFromContext(t *testing.T) {
	staging, prod := endpointTemplates(t, map[string]any{
		"modelPackageArn":                               approvedArn,
		"staging.hosting":                               "serverless",
		"staging.dataCapture.enabled":                   "false",
		"staging.serverless.memorySizeMiB":              "4096",
		"prod.instanceType":                             "ml.c5.2xlarge",
		"prod.instanceCount":                            "2",
		"prod.autoscaling.minCapacity":                  "2",
		"prod.autoscaling.maxCapacity":                  "8",
		"prod.autoscaling.targetInvocationsPerInstance": "250",
		"prod.dataCapture.samplingPercentage":           "25",
		"prod.dataCapture.prefix":                       "capture/prod",
	})
	for _, tpl := range []testutil.Template{staging, prod} {
		assert.Equal(t, approvedArn, tpl.One(t, "AWS::SageMaker::Model").Properties["PrimaryContainer"].(map[string]any)["ModelPackageName"])
		assert.NotContains(t, tpl, "Parameters")
	}
	sc := staging.One(t, "AWS::SageMaker::EndpointConfig").Properties
	assert.Equal(t, map[string]any{"MemorySizeInMB": 4096.0, "MaxConcurrency": 5.0}, testutil.Only(t, sc["ProductionVariants"])["ServerlessConfig"])
	assert.Nil(t, sc["DataCaptureConfig"])
	pc := prod.One(t, "AWS::SageMaker::EndpointConfig").Properties
	pv := testutil.Only(t, pc["ProductionVariants"])
	assert.Equal(t, "ml.c5.2xlarge", pv["InstanceType"])
	assert.Equal(t, 2.0, pv["InitialInstanceCount"])
	capture := pc["DataCaptureConfig"].(map[string]any)
	assert.Equal(t, 25.0, capture["InitialSamplingPercentage"])
	assert.Equal(t, "s3://sagemaker-project-p-abalonedemo1/capture/prod", capture["DestinationS3Uri"])
	target := prod.One(t, "AWS::ApplicationAutoScaling::ScalableTarget").Properties
	assert.Equal(t, []float64{2, 8}, []float64{target["MinCapacity"].(float64), target["MaxCapacity"].(float64)})
	assert.Equal(t, 250.0, prod.One(t, "AWS::ApplicationAutoScaling::ScalingPolicy").Properties["TargetTrackingScalingPolicyConfiguration"].(map[string]any)["TargetValue"])
}

// The deploy pipeline's deployment role may do to the endpoints' rollback alarms what
// CloudFormation's AWS::CloudWatch::Alarm handlers do (cfn-lint ships their
// permissions), in the `cdk deploy` project and in a Studio project (whose name may
// hold capitals, which alarm ARNs keep), and may not touch other alarms.
func TestTheDeploymentRoleManagesTheRollbackAlarmsAsCloudFormationDoes(t *testing.T) {
	schema := testutil.ResourceSchemas(t)["AWS::CloudWatch::Alarm"]
	staging, prod := endpointTemplates(t, nil)
	studio := studioTemplates(t, nil).templates[codeCommitTemplate]
	for name, c := range map[string]struct {
		project testutil.Template
		nameID  string
	}{"cdk deploy": {defaultTemplate(t), "abalone-p-abalonedemo1"}, "Studio": {studio, "Churn-Model-p-0a1b2c3d4e5f"}} {
		statements := c.project.RoleStatements(deploymentRole(t, c.project))
		fill := testutil.Filler(sampleProject)
		alarm := func(n string) string { return "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:" + n }
		for _, ep := range []testutil.Template{staging, prod} {
			alarms := ep.Resources("AWS::CloudWatch::Alarm")
			require.Len(t, alarms, 2)
			for _, a := range alarms {
				// The app's endpoint stacks are the abalone project's: name the alarm after c's.
				n := strings.Replace(a.Properties["AlarmName"].(string), "abalone-p-abalonedemo1", c.nameID, 1)
				for _, handler := range []string{"create", "read", "update", "delete"} {
					for _, action := range schema.Permissions[handler] {
						assert.True(t, testutil.Allows(statements, fill, action, alarm(n), nil), "%s: %s %s on %s", name, handler, action, n)
					}
				}
			}
		}
		assert.False(t, testutil.Allows(statements, fill, "cloudwatch:DeleteAlarms", alarm("other-p-otherproject-prod-5xx-errors"), nil), name)
		assert.False(t, testutil.Allows(statements, fill, "cloudwatch:DeleteAlarms", alarm(c.nameID+"-dev-5xx-errors"), nil), "%s: only the pipeline's stages", name)
	}
}

// Every endpoint stack rolls a bad update back on its own alarms; prod bakes each
// traffic step, staging leaves the judgement to the test gate.
func TestAppEndpointStacksRollBackOnTheirAlarms(t *testing.T) {
	staging, prod := endpointTemplates(t, nil)
	for stage, c := range map[string]struct {
		tpl  testutil.Template
		bake float64
	}{"staging": {staging, 0}, "prod": {prod, 600}} {
		cfg := c.tpl.One(t, "AWS::SageMaker::Endpoint").Properties["DeploymentConfig"].(map[string]any)
		routing := cfg["BlueGreenUpdatePolicy"].(map[string]any)["TrafficRoutingConfiguration"].(map[string]any)
		assert.Equal(t, c.bake, routing["WaitIntervalInSeconds"], stage)
		var names []string
		for _, a := range cfg["AutoRollbackConfiguration"].(map[string]any)["Alarms"].([]any) {
			names = append(names, c.tpl.Resource(t, a.(map[string]any)["AlarmName"].(map[string]any)["Ref"].(string)).Properties["AlarmName"].(string))
		}
		assert.Equal(t, []string{"abalone-p-abalonedemo1-" + stage + "-5xx-errors", "abalone-p-abalonedemo1-" + stage + "-model-latency"}, names)
	}
}
