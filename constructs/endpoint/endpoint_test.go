package endpoint_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var demo = project.Identity{Name: "abalone", ID: "p-abalonedemo1"}

const packageArn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/abalone-p-abalonedemo1/3"

// synth builds one endpoint per props in its own stack of one app, and synthesizes
// each stack once.
func synth(t *testing.T, props map[string]*endpoint.EndpointProps) map[string]testutil.Template {
	t.Helper()
	app := testutil.NewApp(t, "", nil)
	out := map[string]testutil.Template{}
	stacks := map[string]awscdk.Stack{}
	for name, p := range props {
		stack := awscdk.NewStack(app, jsii.String(name), nil)
		p.Artifacts = artifacts.Reference{Scope: stack, Project: demo}
		endpoint.NewEndpoint(stack, "Endpoint", p)
		stacks[name] = stack
	}
	for name, stack := range stacks {
		out[name] = testutil.Synth(t, stack)
	}
	return out
}

func TestHostingCaptureAndAutoscaling(t *testing.T) {
	tpls := synth(t, map[string]*endpoint.EndpointProps{
		"Default": {Project: demo, Stage: "staging", ModelPackageArn: jsii.String(packageArn)},
		"Scaled": {Project: demo, Stage: "prod", ModelPackageArn: jsii.String(packageArn),
			Instance:    &endpoint.InstanceHosting{InstanceType: "ml.c5.xlarge", InitialInstanceCount: 2, Autoscaling: &endpoint.Autoscaling{MinCapacity: 2, MaxCapacity: 6, TargetInvocationsPerInstance: 300}},
			DataCapture: &endpoint.DataCapture{SamplingPercentage: 80}},
		"Serverless": {Project: demo, Stage: "dev", ModelPackageArn: jsii.String(packageArn),
			Serverless: &endpoint.ServerlessHosting{MemorySizeMiB: 3072, MaxConcurrency: 10}},
		"Gpu": {Project: demo, Stage: "gpu", ModelPackageArn: jsii.String(packageArn),
			Instance:    &endpoint.InstanceHosting{InstanceType: "ml.g5.xlarge", InitialInstanceCount: 1},
			DataCapture: &endpoint.DataCapture{SamplingPercentage: 10}},
	})

	def := tpls["Default"]
	assert.Equal(t, "abalone-p-abalonedemo1-staging", def.One(t, "AWS::SageMaker::Endpoint").Properties["EndpointName"])
	model := def.One(t, "AWS::SageMaker::Model")
	assert.Equal(t, map[string]any{"ModelPackageName": packageArn}, model.Properties["PrimaryContainer"])
	cfg := def.One(t, "AWS::SageMaker::EndpointConfig").Properties
	variant := testutil.Only(t, cfg["ProductionVariants"])
	assert.Equal(t, "AllTraffic", variant["VariantName"])
	assert.Equal(t, "ml.m5.large", variant["InstanceType"])
	assert.Equal(t, 1.0, variant["InitialInstanceCount"])
	assert.Equal(t, "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/sagemaker-project-p-abalonedemo1", testutil.Render(cfg["KmsKeyId"]))
	assert.Nil(t, cfg["DataCaptureConfig"], "no capture unless asked for")
	assert.Empty(t, def.Resources("AWS::ApplicationAutoScaling::ScalableTarget"))
	role := def.One(t, "AWS::IAM::Role")
	assert.Equal(t, "/sagemaker-project-p-abalonedemo1/", role.Properties["Path"])

	scaled := tpls["Scaled"]
	sc := scaled.One(t, "AWS::SageMaker::EndpointConfig").Properties
	sv := testutil.Only(t, sc["ProductionVariants"])
	assert.Equal(t, "ml.c5.xlarge", sv["InstanceType"])
	assert.Equal(t, 2.0, sv["InitialInstanceCount"])
	capture := sc["DataCaptureConfig"].(map[string]any)
	assert.Equal(t, true, capture["EnableCapture"])
	assert.Equal(t, 80.0, capture["InitialSamplingPercentage"])
	assert.Equal(t, "s3://sagemaker-project-p-abalonedemo1/datacapture-prod", capture["DestinationS3Uri"])
	assert.Equal(t, testutil.Render(sc["KmsKeyId"]), testutil.Render(capture["KmsKeyId"]))
	assert.Equal(t, []any{map[string]any{"CaptureMode": "Input"}, map[string]any{"CaptureMode": "Output"}}, capture["CaptureOptions"])
	target := scaled.One(t, "AWS::ApplicationAutoScaling::ScalableTarget")
	assert.Equal(t, "endpoint/abalone-p-abalonedemo1-prod/variant/AllTraffic", target.Properties["ResourceId"])
	assert.Equal(t, 2.0, target.Properties["MinCapacity"])
	assert.Equal(t, 6.0, target.Properties["MaxCapacity"])
	assert.Equal(t, "sagemaker:variant:DesiredInstanceCount", target.Properties["ScalableDimension"])
	assert.Contains(t, target.Raw["DependsOn"], scaled.One(t, "AWS::SageMaker::Endpoint").LogicalID)
	tracking := scaled.One(t, "AWS::ApplicationAutoScaling::ScalingPolicy").Properties["TargetTrackingScalingPolicyConfiguration"].(map[string]any)
	assert.Equal(t, 300.0, tracking["TargetValue"])
	assert.Equal(t, "SageMakerVariantInvocationsPerInstance", tracking["PredefinedMetricSpecification"].(map[string]any)["PredefinedMetricType"])
	var writesCapture bool
	for _, s := range scaled.RoleStatements(scaled.One(t, "AWS::IAM::Role").LogicalID) {
		if s.HasAction("s3:PutObject") {
			writesCapture = true
			assert.Equal(t, []string{"arn:${AWS::Partition}:s3:::sagemaker-project-p-abalonedemo1/datacapture-prod/*"}, s.Resources, "the model writes only under its capture prefix")
		}
	}
	assert.True(t, writesCapture)

	sl := tpls["Serverless"].One(t, "AWS::SageMaker::EndpointConfig").Properties
	slv := testutil.Only(t, sl["ProductionVariants"])
	assert.Equal(t, map[string]any{"MemorySizeInMB": 3072.0, "MaxConcurrency": 10.0}, slv["ServerlessConfig"])
	assert.Nil(t, slv["InstanceType"])
	assert.Nil(t, sl["KmsKeyId"], "SageMaker rejects a storage key for serverless endpoints")

	gpu := tpls["Gpu"].One(t, "AWS::SageMaker::EndpointConfig").Properties
	assert.Nil(t, gpu["KmsKeyId"], "SageMaker rejects a storage key for instances with NVMe instance storage")
	assert.NotNil(t, gpu["DataCaptureConfig"].(map[string]any)["KmsKeyId"], "captured data is still encrypted with the project key")
}

func TestInstanceStorageIsKnownByFamily(t *testing.T) {
	for typ, want := range map[string]bool{
		"ml.m5.large": false, "ml.c5.xlarge": false, "ml.c5n.xlarge": false, "ml.p3.2xlarge": false, "ml.inf2.xlarge": false, "ml.g4.xlarge": false,
		"ml.m5d.large": true, "ml.c5d.xlarge": true, "ml.r5d.large": true, "ml.g4dn.xlarge": true, "ml.p3dn.24xlarge": true,
		"ml.p4d.24xlarge": true, "ml.p4de.24xlarge": true, "ml.g5.2xlarge": true, "ml.g6e.xlarge": true, "ml.p5.48xlarge": true,
		"ml.r6id.large": true, "ml.trn1.2xlarge": true, "m5d.large": false,
	} {
		assert.Equal(t, want, endpoint.HasInstanceStorage(typ), typ)
	}
}

func TestInvalidPropsPanicNamingTheProp(t *testing.T) {
	base := func() *endpoint.EndpointProps {
		return &endpoint.EndpointProps{Project: demo, Stage: "staging", ModelPackageArn: jsii.String(packageArn)}
	}
	cases := []struct {
		name   string
		modify func(p *endpoint.EndpointProps)
		want   string
	}{
		{"missing package", func(p *endpoint.EndpointProps) { p.ModelPackageArn = nil }, "EndpointProps.ModelPackageArn is required"},
		{"bad stage", func(p *endpoint.EndpointProps) { p.Stage = "Staging" }, `EndpointProps.Stage "Staging": must be lowercase letters and digits`},
		{"empty stage", func(p *endpoint.EndpointProps) { p.Stage = "" }, `EndpointProps.Stage "": must be lowercase`},
		{"name too long by one", func(p *endpoint.EndpointProps) {
			p.Project = project.Identity{Name: "a-very-long-project-name-of-32ch", ID: "p-abcdefghijkl"}
			p.Stage = "preproduction-xy"
		}, `EndpointProps.Stage "preproduction-xy": gives the endpoint name "a-very-long-project-name-of-32ch-p-abcdefghijkl-preproduction-xy" of 64 characters; SageMaker allows at most 63`},
		{"both hostings", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{}
			p.Serverless = &endpoint.ServerlessHosting{}
		}, "EndpointProps.Instance and EndpointProps.Serverless are both set"},
		{"serverless capture", func(p *endpoint.EndpointProps) {
			p.Serverless = &endpoint.ServerlessHosting{}
			p.DataCapture = &endpoint.DataCapture{SamplingPercentage: 10}
		}, "serverless endpoints cannot capture data"},
		{"serverless memory", func(p *endpoint.EndpointProps) { p.Serverless = &endpoint.ServerlessHosting{MemorySizeMiB: 1000} }, "EndpointProps.Serverless.MemorySizeMiB 1000: must be one of 1024 2048 3072 4096 5120 6144 MiB"},
		{"serverless concurrency", func(p *endpoint.EndpointProps) { p.Serverless = &endpoint.ServerlessHosting{MaxConcurrency: 201} }, "EndpointProps.Serverless.MaxConcurrency 201: must be between 1 and 200"},
		{"instance type", func(p *endpoint.EndpointProps) { p.Instance = &endpoint.InstanceHosting{InstanceType: "m5.large"} }, `EndpointProps.Instance.InstanceType "m5.large": must be a SageMaker instance type`},
		{"count below one", func(p *endpoint.EndpointProps) { p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: -1} }, "EndpointProps.Instance.InitialInstanceCount -1: must be between 1 and 100"},
		{"autoscaling without max", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{Autoscaling: &endpoint.Autoscaling{MinCapacity: 1}}
		}, "EndpointProps.Instance.Autoscaling.MaxCapacity is required"},
		{"autoscaling max below min", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 3, Autoscaling: &endpoint.Autoscaling{MinCapacity: 3, MaxCapacity: 2}}
		}, "maximum capacity 2 must be at least the minimum capacity 3"},
		{"initial outside bounds", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 5, Autoscaling: &endpoint.Autoscaling{MinCapacity: 1, MaxCapacity: 4}}
		}, "initial instance count 5 must be between the minimum 1 and maximum 4 capacity"},
		{"sampling above 100", func(p *endpoint.EndpointProps) { p.DataCapture = &endpoint.DataCapture{SamplingPercentage: 101} }, "EndpointProps.DataCapture.SamplingPercentage 101: must be between 0 and 100"},
		{"sampling below 0", func(p *endpoint.EndpointProps) { p.DataCapture = &endpoint.DataCapture{SamplingPercentage: -1} }, "EndpointProps.DataCapture.SamplingPercentage -1: must be between 0 and 100"},
		{"capture prefix", func(p *endpoint.EndpointProps) {
			p.DataCapture = &endpoint.DataCapture{SamplingPercentage: 5, Prefix: "/abs"}
		}, `EndpointProps.DataCapture.Prefix "/abs": must be an S3 key prefix`},
		{"bad project", func(p *endpoint.EndpointProps) { p.Project = project.Identity{Name: "x", ID: "bad"} }, `projectId "bad" is invalid`},
		{"no artifacts", func(p *endpoint.EndpointProps) { p.Artifacts = nil }, "EndpointProps.Artifacts is required"},
		{"tester role", func(p *endpoint.EndpointProps) { p.TesterRoleArn = "sagemaker-p-abalonedemo1-testing" }, `EndpointProps.TesterRoleArn "sagemaker-p-abalonedemo1-testing": must be an IAM role ARN`},
		{"count above 100", func(p *endpoint.EndpointProps) { p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 101} }, "EndpointProps.Instance.InitialInstanceCount 101: must be between 1 and 100"},
		{"autoscaling above 100", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 1, Autoscaling: &endpoint.Autoscaling{MinCapacity: 1, MaxCapacity: 101}}
		}, "maximum capacity 101 must be at most 100"},
		{"autoscaling target", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 1, Autoscaling: &endpoint.Autoscaling{MinCapacity: 1, MaxCapacity: 2, TargetInvocationsPerInstance: -5}}
		}, "target invocations per instance -5 must be at least 1"},
		{"capture prefix too long", func(p *endpoint.EndpointProps) {
			p.DataCapture = &endpoint.DataCapture{SamplingPercentage: 5, Prefix: strings.Repeat("a", 513)}
		}, `EndpointProps.DataCapture.Prefix "aaaa`},
	}
	app := testutil.NewApp(t, "", nil)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := awscdk.NewStack(app, jsii.String(fmt.Sprintf("Case%d", i)), nil)
			props := base()
			props.Artifacts = artifacts.Reference{Scope: stack, Project: demo}
			tc.modify(props)
			msg := panicMessage(func() { endpoint.NewEndpoint(stack, "Endpoint", props) })
			require.NotEmpty(t, msg, "no panic")
			assert.Contains(t, msg, tc.want)
		})
	}
}

func TestEndpointNameLimitIsSageMakers(t *testing.T) {
	// The longest project name and id leave 15 characters for the stage.
	assert.NoError(t, endpoint.CheckEndpointName("a-very-long-project-name-of-32ch-p-abcdefghijkl-preproduction-x"))
	assert.Error(t, endpoint.CheckEndpointName("a-very-long-project-name-of-32ch-p-abcdefghijkl-preproduction-xy"))
}

func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// A serverless endpoint of a project's staging stage, for a version the stack names,
// reading its model from another account's project bucket.
func ExampleNewEndpoint() {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Staging"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	churn := project.Identity{Name: "churn", ID: "p-churn0001"}
	ep := endpoint.NewEndpoint(stack, "Endpoint", &endpoint.EndpointProps{
		Project:              churn,
		Stage:                project.Staging,
		ModelPackageArn:      jsii.String("arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-p-churn0001/3"),
		Artifacts:            artifacts.Reference{Scope: stack, Project: churn, Account: "111111111111"},
		ModelArtifactsPrefix: churn.ModelArtifactsPrefix(),
		Serverless:           &endpoint.ServerlessHosting{},
	})
	fmt.Println(ep.Name, *ep.Role.Node().Path())
	// Output:
	// churn-p-churn0001-staging Staging/Endpoint/ModelRole
}
