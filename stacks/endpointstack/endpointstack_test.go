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
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
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
// own, which its monitoring jobs' volumes use too, and staging lets the project's test
// gate invoke it; prod has no tester role.
func TestAStageInAnotherAccountHasItsOwnKeyAndTesterRole(t *testing.T) {
	app := testutil.NewApp(t, "", nil)
	elsewhere := func(stage project.Stage) awscdk.Stack {
		return endpointstack.NewEndpointStack(app, stage.Title(), &endpointstack.EndpointStackProps{
			StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}},
			Project:    abalone, Stage: stage, Settings: config.DefaultStage(stage), ModelPackageArn: approvedArn,
			ArtifactsAccount: "111111111111", ArtifactsRegion: "eu-west-1", Baseline: baseline,
		}).Stack
	}
	stagingStack, prodStack := elsewhere(project.Staging), elsewhere(project.Prod)
	staging, prod := testutil.Synth(t, stagingStack), testutil.Synth(t, prodStack)
	for name, tpl := range map[string]testutil.Template{"staging": staging, "prod": prod} {
		key := tpl.One(t, "AWS::KMS::Key")
		job := tpl.One(t, "AWS::SageMaker::DataQualityJobDefinition").Properties
		assert.Equal(t, map[string]any{"Fn::GetAtt": []any{key.LogicalID, "Arn"}}, job["JobResources"].(map[string]any)["ClusterConfig"].(map[string]any)["VolumeKmsKeyId"], name)
		assert.Equal(t, "arn:aws:kms:eu-west-1:111111111111:alias/sagemaker-project-p-abalonedemo1", testutil.Render(job["DataQualityJobOutputConfig"].(map[string]any)["KmsKeyId"]), "%s: reports are the project's, under its key", name)
		jobRole := tpl.Named(t, "AWS::IAM::Role", "Description", "Data-quality monitoring of endpoint abalone-p-abalonedemo1-"+name+" of SageMaker project abalone-p-abalonedemo1")
		var grants []string
		for _, st := range tpl.RoleStatements(jobRole.LogicalID) {
			if st.HasAction("kms:CreateGrant") {
				grants = append(grants, st.Resources...)
			}
		}
		assert.Equal(t, []string{"${" + key.LogicalID + ".Arn}"}, grants, "%s: the job's volume grants are on the stack's own key only", name)
		drift := tpl.Named(t, "AWS::CloudWatch::Alarm", "AlarmName", "abalone-p-abalonedemo1-"+name+"-data-drift")
		assert.NotContains(t, drift.Properties, "AlarmActions", "%s: an alarm notifies topics of its own account only", name)
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

// baseline is a version's data-quality baseline, as the ModelBuild pipeline writes it.
var baseline = &monitoring.Baseline{
	StatisticsURI:  "s3://sagemaker-project-p-abalonedemo1/abalone-p-abalonedemo1/e1/CheckDataQualityAbalone/output/statistics.json",
	ConstraintsURI: "s3://sagemaker-project-p-abalonedemo1/abalone-p-abalonedemo1/e1/CheckDataQualityAbalone/output/constraints.json",
	Features:       []string{"_c0", "_c1"},
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

// A version with a baseline is monitored where the stage says so, and its alarm
// notifies the project's topic; without a baseline, or with monitoring off, the stack
// has no monitoring.
func TestTheStackMonitorsTheEndpointAgainstTheVersionsBaseline(t *testing.T) {
	app := testutil.NewApp(t, "", nil)
	offSettings := config.DefaultStage(project.Prod)
	offSettings.Monitoring.Enabled = false
	stack := func(id string, stage project.Stage, settings config.Stage, b *monitoring.Baseline) *endpointstack.EndpointStack {
		return endpointstack.NewEndpointStack(app, id, &endpointstack.EndpointStackProps{
			StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}},
			Project:    abalone, Stage: stage, Settings: settings, ModelPackageArn: approvedArn, Baseline: b,
		})
	}
	monitored := stack("Monitored", project.Staging, config.DefaultStage(project.Staging), baseline)
	inVpc := config.DefaultStage(project.Staging)
	inVpc.Network = network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}}
	vpcStack := stack("InVpc", project.Staging, inVpc, baseline)
	unmonitored, off := stack("Unmonitored", project.Prod, config.DefaultStage(project.Prod), nil), stack("Off", project.Prod, offSettings, baseline)
	require.NotNil(t, monitored.Monitoring)
	tpl := testutil.Synth(t, monitored.Stack)
	schedule := tpl.One(t, "AWS::SageMaker::MonitoringSchedule")
	assert.Equal(t, "cron(0 * ? * * *)", schedule.Properties["MonitoringScheduleConfig"].(map[string]any)["ScheduleConfig"].(map[string]any)["ScheduleExpression"])
	tags := map[string]any{}
	for _, tag := range schedule.Properties["Tags"].([]any) {
		tags[tag.(map[string]any)["Key"].(string)] = tag.(map[string]any)["Value"]
	}
	assert.Equal(t, "staging", tags["sagemaker:deployment-stage"])
	assert.Equal(t, "p-abalonedemo1", tags["sagemaker:project-id"])
	drift := tpl.Named(t, "AWS::CloudWatch::Alarm", "AlarmName", "abalone-p-abalonedemo1-staging-data-drift")
	assert.Equal(t, []any{"arn:aws:sns:eu-west-1:111111111111:sagemaker-abalone-p-abalonedemo1-notifications"}, drift.Properties["AlarmActions"])

	vpcTpl := testutil.Synth(t, vpcStack.Stack)
	group := map[string]any{"Fn::GetAtt": []any{vpcTpl.One(t, "AWS::EC2::SecurityGroup").LogicalID, "GroupId"}}
	assert.Equal(t, []any{group}, vpcTpl.One(t, "AWS::SageMaker::Model").Properties["VpcConfig"].(map[string]any)["SecurityGroupIds"])
	assert.Equal(t, []any{group}, vpcTpl.One(t, "AWS::SageMaker::DataQualityJobDefinition").Properties["NetworkConfig"].(map[string]any)["VpcConfig"].(map[string]any)["SecurityGroupIds"],
		"the monitoring job runs in the endpoint's subnets with its security group")

	assert.Nil(t, unmonitored.Monitoring, "no baseline")
	assert.Nil(t, off.Monitoring, "monitoring off")
}
