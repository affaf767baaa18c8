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
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
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
			Instance:    &endpoint.InstanceHosting{InstanceType: "ml.g5.xlarge", InitialInstanceCount: 1, NetworkAccess: true},
			DataCapture: &endpoint.DataCapture{SamplingPercentage: 10}},
	})

	def := tpls["Default"]
	assert.Equal(t, "abalone-p-abalonedemo1-staging", def.One(t, "AWS::SageMaker::Endpoint").Properties["EndpointName"])
	model := def.One(t, "AWS::SageMaker::Model")
	assert.Equal(t, map[string]any{"ModelPackageName": packageArn}, model.Properties["PrimaryContainer"])
	assert.Equal(t, true, model.Properties["EnableNetworkIsolation"], "the container calls nothing by default")
	assert.Equal(t, true, tpls["Scaled"].One(t, "AWS::SageMaker::Model").Properties["EnableNetworkIsolation"])
	assert.NotContains(t, tpls["Gpu"].One(t, "AWS::SageMaker::Model").Properties, "EnableNetworkIsolation", "a model given network access")
	assert.NotContains(t, tpls["Serverless"].One(t, "AWS::SageMaker::Model").Properties, "EnableNetworkIsolation", "serverless endpoints support no isolation")
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

// deployment is the blue/green update policy of the template's endpoint, and the
// names of its rollback alarms.
func deployment(t *testing.T, tpl testutil.Template) (map[string]any, []string) {
	t.Helper()
	cfg := tpl.One(t, "AWS::SageMaker::Endpoint").Properties["DeploymentConfig"].(map[string]any)
	var alarms []string
	for _, a := range cfg["AutoRollbackConfiguration"].(map[string]any)["Alarms"].([]any) {
		ref := a.(map[string]any)["AlarmName"].(map[string]any)["Ref"].(string)
		alarms = append(alarms, tpl.Resource(t, ref).Properties["AlarmName"].(string))
	}
	return cfg["BlueGreenUpdatePolicy"].(map[string]any), alarms
}

func TestDeploymentGuardrails(t *testing.T) {
	tpls := synth(t, map[string]*endpoint.EndpointProps{
		"Default": {Project: demo, Stage: "staging", ModelPackageArn: jsii.String(packageArn)},
		"Scaled": {Project: demo, Stage: "prod", ModelPackageArn: jsii.String(packageArn),
			Instance: &endpoint.InstanceHosting{InitialInstanceCount: 2, Autoscaling: &endpoint.Autoscaling{MinCapacity: 2, MaxCapacity: 6}}},
		"Linear": {Project: demo, Stage: "prod", ModelPackageArn: jsii.String(packageArn),
			Instance: &endpoint.InstanceHosting{InitialInstanceCount: 4},
			Deployment: &endpoint.Deployment{Strategy: endpoint.Linear, LinearStepInstances: 1, BakeSeconds: 60, TerminationWaitSeconds: 120,
				Alarm5xxErrors: 5, AlarmModelLatencyMs: 250}},
		"Serverless": {Project: demo, Stage: "dev", ModelPackageArn: jsii.String(packageArn), Serverless: &endpoint.ServerlessHosting{}},
	})

	// One instance: auto is all at once, baked ten minutes, with rollback, and time
	// to provision on top of the waits.
	policy, alarms := deployment(t, tpls["Default"])
	assert.Equal(t, map[string]any{"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 600.0}, policy["TrafficRoutingConfiguration"])
	assert.Equal(t, 0.0, policy["TerminationWaitInSeconds"])
	assert.Equal(t, 2400.0, policy["MaximumExecutionTimeoutInSeconds"])
	assert.Equal(t, endpoint.RollbackAlarmNames("abalone-p-abalonedemo1-staging"), alarms)
	assert.Equal(t, []string{"abalone-p-abalonedemo1-staging-5xx-errors", "abalone-p-abalonedemo1-staging-model-latency"}, alarms)

	errors := tpls["Default"].Named(t, "AWS::CloudWatch::Alarm", "AlarmName", alarms[0]).Properties
	dims := []any{map[string]any{"Name": "EndpointName", "Value": "abalone-p-abalonedemo1-staging"}, map[string]any{"Name": "VariantName", "Value": "AllTraffic"}}
	assert.Equal(t, "AWS/SageMaker", errors["Namespace"])
	assert.Equal(t, "Invocation5XXErrors", errors["MetricName"])
	assert.Equal(t, dims, errors["Dimensions"])
	assert.Equal(t, "Sum", errors["Statistic"])
	assert.Equal(t, 60.0, errors["Period"])
	assert.Equal(t, 1.0, errors["Threshold"])
	assert.Equal(t, "GreaterThanOrEqualToThreshold", errors["ComparisonOperator"])
	assert.Equal(t, "notBreaching", errors["TreatMissingData"], "no traffic is no failure")
	latency := tpls["Default"].Named(t, "AWS::CloudWatch::Alarm", "AlarmName", alarms[1]).Properties
	assert.Equal(t, "ModelLatency", latency["MetricName"])
	assert.Equal(t, dims, latency["Dimensions"])
	assert.Equal(t, "p99", latency["ExtendedStatistic"])
	assert.Equal(t, 1e6, latency["Threshold"], "ModelLatency is in microseconds")
	assert.Equal(t, 3.0, latency["EvaluationPeriods"])
	assert.Equal(t, 2.0, latency["DatapointsToAlarm"])

	// SageMaker describes the alarms with the model's role: it may describe those two.
	var describe []testutil.Statement
	for _, st := range tpls["Default"].AllStatements() {
		if st.HasAction("cloudwatch:DescribeAlarms") {
			describe = append(describe, st)
		}
	}
	require.Len(t, describe, 1)
	assert.ElementsMatch(t, []string{"${EndpointErrors5xxAlarmD58EF493.Arn}", "${EndpointModelLatencyAlarm4F672072.Arn}"}, describe[0].Resources)

	// Autoscaled between 2 and 6: auto is a canary of one instance, baked twice.
	policy, _ = deployment(t, tpls["Scaled"])
	assert.Equal(t, map[string]any{"Type": "CANARY", "WaitIntervalInSeconds": 600.0,
		"CanarySize": map[string]any{"Type": "INSTANCE_COUNT", "Value": 1.0}}, policy["TrafficRoutingConfiguration"])
	assert.Equal(t, 3000.0, policy["MaximumExecutionTimeoutInSeconds"])

	// Linear steps of one of four instances: four bakes and the termination wait.
	policy, alarms = deployment(t, tpls["Linear"])
	assert.Equal(t, map[string]any{"Type": "LINEAR", "WaitIntervalInSeconds": 60.0,
		"LinearStepSize": map[string]any{"Type": "INSTANCE_COUNT", "Value": 1.0}}, policy["TrafficRoutingConfiguration"])
	assert.Equal(t, 120.0, policy["TerminationWaitInSeconds"])
	assert.Equal(t, float64(4*60+120+endpoint.DefaultProvisioningSeconds), policy["MaximumExecutionTimeoutInSeconds"])
	assert.Equal(t, 5.0, tpls["Linear"].Named(t, "AWS::CloudWatch::Alarm", "AlarmName", alarms[0]).Properties["Threshold"])
	assert.Equal(t, 250000.0, tpls["Linear"].Named(t, "AWS::CloudWatch::Alarm", "AlarmName", alarms[1]).Properties["Threshold"])

	// Serverless: all at once, still baked and guarded.
	policy, alarms = deployment(t, tpls["Serverless"])
	assert.Equal(t, map[string]any{"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 600.0}, policy["TrafficRoutingConfiguration"])
	assert.Len(t, alarms, 2)
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

// In a VPC, the model runs in its subnets with the security groups given, or with one
// created without inbound rules; its role creates network interfaces there only.
func TestAModelInAVpc(t *testing.T) {
	subnets := []string{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}
	tpls := synth(t, map[string]*endpoint.EndpointProps{
		"Created": {Project: demo, Stage: "staging", ModelPackageArn: jsii.String(packageArn), Network: network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: subnets}},
		"Given": {Project: demo, Stage: "prod", ModelPackageArn: jsii.String(packageArn),
			Network: network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: subnets, SecurityGroupIDs: []string{"sg-0a1b2c3d"}}},
	})
	created := tpls["Created"]
	sg := created.One(t, "AWS::EC2::SecurityGroup")
	assert.Equal(t, "vpc-0a1b2c3d", sg.Properties["VpcId"])
	assert.NotContains(t, sg.Properties, "SecurityGroupIngress", "nothing connects to the model's instances")
	assert.Equal(t, []any{map[string]any{"IpProtocol": "tcp", "FromPort": 443.0, "ToPort": 443.0, "CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS APIs through the VPC's endpoints"}}, sg.Properties["SecurityGroupEgress"])
	vpc := created.One(t, "AWS::SageMaker::Model").Properties["VpcConfig"].(map[string]any)
	assert.Equal(t, []any{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}, vpc["Subnets"])
	assert.Equal(t, []any{map[string]any{"Fn::GetAtt": []any{sg.LogicalID, "GroupId"}}}, vpc["SecurityGroupIds"])

	given := tpls["Given"]
	assert.Empty(t, given.Resources("AWS::EC2::SecurityGroup"), "the groups given are used")
	assert.Equal(t, []any{"sg-0a1b2c3d"}, given.One(t, "AWS::SageMaker::Model").Properties["VpcConfig"].(map[string]any)["SecurityGroupIds"])
	st := given.RoleStatements(given.One(t, "AWS::IAM::Role").LogicalID)
	fill := testutil.Filler(map[string]string{"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111"})
	ec2 := func(resource string) string { return "arn:aws:ec2:eu-west-1:111111111111:" + resource }
	for _, resource := range []string{"network-interface/eni-1", "subnet/subnet-0a1b2c3d", "subnet/subnet-0a1b2c3e", "security-group/sg-0a1b2c3d"} {
		assert.True(t, testutil.Allows(st, fill, "ec2:CreateNetworkInterface", ec2(resource), nil), resource)
	}
	assert.False(t, testutil.Allows(st, fill, "ec2:CreateNetworkInterface", ec2("subnet/subnet-0f0f0f0f"), nil), "another subnet")
	assert.False(t, testutil.Allows(st, fill, "ec2:CreateNetworkInterface", ec2("security-group/sg-0f0f0f0f"), nil), "another group")
	inVpc := map[string]string{"ec2:Vpc": ec2("vpc/vpc-0a1b2c3d")}
	assert.True(t, testutil.Allows(st, fill, "ec2:DeleteNetworkInterface", ec2("network-interface/eni-1"), inVpc))
	assert.False(t, testutil.Allows(st, fill, "ec2:DeleteNetworkInterface", ec2("network-interface/eni-1"), map[string]string{"ec2:Vpc": ec2("vpc/vpc-0f0f0f0f")}), "another VPC's interfaces")
	assert.True(t, testutil.Allows(st, fill, "ec2:DescribeSubnets", "*", nil))
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
		{"one subnet", func(p *endpoint.EndpointProps) {
			p.Network = network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d"}}
		}, `EndpointProps.Network: network.Placement: SubnetIDs "subnet-0a1b2c3d" must be 2 to 16 different subnets`},
		{"serverless in a VPC", func(p *endpoint.EndpointProps) {
			p.Serverless = &endpoint.ServerlessHosting{}
			p.Network = network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}}
		}, `EndpointProps.Network "vpc-0a1b2c3d" is set with Serverless hosting: SageMaker serverless endpoints do not run in a VPC`},
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
		{"strategy", func(p *endpoint.EndpointProps) { p.Deployment = &endpoint.Deployment{Strategy: "blue"} }, `EndpointProps.Deployment.Strategy blue: must be one of auto, allAtOnce, canary, linear`},
		{"bake above an hour", func(p *endpoint.EndpointProps) { p.Deployment = &endpoint.Deployment{BakeSeconds: 3601} }, "EndpointProps.Deployment.BakeSeconds 3601: must be between 0 and 3600"},
		{"negative termination wait", func(p *endpoint.EndpointProps) { p.Deployment = &endpoint.Deployment{TerminationWaitSeconds: -1} }, "EndpointProps.Deployment.TerminationWaitSeconds -1: must be between 0 and 3600"},
		{"latency budget above the invocation timeout", func(p *endpoint.EndpointProps) { p.Deployment = &endpoint.Deployment{AlarmModelLatencyMs: 60001} }, "EndpointProps.Deployment.AlarmModelLatencyMs 60001: must be between 0 and 60000"},
		{"negative 5xx threshold", func(p *endpoint.EndpointProps) { p.Deployment = &endpoint.Deployment{Alarm5xxErrors: -1} }, "EndpointProps.Deployment.Alarm5xxErrors -1: must be between 0 and 100000"},
		{"canary on one instance", func(p *endpoint.EndpointProps) { p.Deployment = &endpoint.Deployment{Strategy: endpoint.Canary} }, "EndpointProps.Deployment.CanaryInstances 1: must be at most 50 % of the variant's fewest instances (1): none with fewer than 2 instances"},
		{"canary above half the autoscaled minimum", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 4, Autoscaling: &endpoint.Autoscaling{MinCapacity: 3, MaxCapacity: 8}}
			p.Deployment = &endpoint.Deployment{Strategy: endpoint.Canary, CanaryInstances: 2}
		}, "EndpointProps.Deployment.CanaryInstances 2: must be at most 50 % of the variant's fewest instances (3): 1 to 1"},
		{"linear step below a tenth of the largest fleet", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 4, Autoscaling: &endpoint.Autoscaling{MinCapacity: 4, MaxCapacity: 20}}
			p.Deployment = &endpoint.Deployment{Strategy: endpoint.Linear, LinearStepInstances: 1}
		}, "EndpointProps.Deployment.LinearStepInstances 1: must be 10 % to 50 % of the variant's instances (4 to 20): 2 to 2"},
		{"linear on bounds too wide", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 2, Autoscaling: &endpoint.Autoscaling{MinCapacity: 2, MaxCapacity: 30}}
			p.Deployment = &endpoint.Deployment{Strategy: endpoint.Linear}
		}, "none for 2 to 30 instances, use canary or allAtOnce, or narrow the autoscaling bounds"},
		{"canary on serverless", func(p *endpoint.EndpointProps) {
			p.Serverless, p.Instance = &endpoint.ServerlessHosting{}, nil
			p.Deployment = &endpoint.Deployment{Strategy: endpoint.Canary}
		}, "EndpointProps.Deployment.Strategy canary: shifts traffic by instances, and a serverless endpoint has none: use allAtOnce or auto"},
		{"linear on inf1", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InstanceType: "ml.inf1.xlarge", InitialInstanceCount: 4}
			p.Deployment = &endpoint.Deployment{Strategy: endpoint.Linear}
		}, "EndpointProps.Deployment.Strategy linear: is ignored by SageMaker on Inf1 instances (ml.inf1.xlarge)"},
		{"timeout outside SageMaker's range", func(p *endpoint.EndpointProps) { p.Deployment = &endpoint.Deployment{MaxExecutionSeconds: 300} }, "EndpointProps.Deployment.MaxExecutionSeconds 300: must be between 600 and 28800, or 0 for the waits plus 1800"},
		{"timeout shorter than the waits", func(p *endpoint.EndpointProps) {
			p.Deployment = &endpoint.Deployment{BakeSeconds: 600, TerminationWaitSeconds: 300, MaxExecutionSeconds: 900}
		}, "EndpointProps.Deployment.MaxExecutionSeconds 900: must be longer than the update's waits, 900 s (1 × 600 s of bake and 300 s of termination wait)"},
		{"linear waits beyond SageMaker's longest timeout", func(p *endpoint.EndpointProps) {
			p.Instance = &endpoint.InstanceHosting{InitialInstanceCount: 10}
			p.Deployment = &endpoint.Deployment{Strategy: endpoint.Linear, LinearStepInstances: 1, BakeSeconds: 3600}
		}, "EndpointProps.Deployment.MaxExecutionSeconds 28800: must be longer than the update's waits, 36000 s (10 × 3600 s of bake"},
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
