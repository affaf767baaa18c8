package monitoring_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var demo = project.Identity{Name: "abalone", ID: "p-abalonedemo1"}

const (
	packageArn  = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/abalone-p-abalonedemo1/3"
	statistics  = "s3://sagemaker-project-p-abalonedemo1/abalone-p-abalonedemo1/exec1/CheckDataQualityAbalone/output/statistics.json"
	constraints = "s3://sagemaker-project-p-abalonedemo1/abalone-p-abalonedemo1/exec1/CheckDataQualityAbalone/output/constraints.json"
)

// features are the analyzer's names of the 10 columns of a headerless CSV request.
func features(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("_c%d", i)
	}
	return out
}

// monitored is a staging endpoint capturing data, and its monitoring with props
// (Project, Stage, Endpoint, Artifacts and CapturePrefix filled in).
func monitored(stack awscdk.Stack, props monitoring.DataQualityMonitorProps) *monitoring.DataQualityMonitor {
	store := artifacts.Reference{Scope: stack, Project: demo}
	ep := endpoint.NewEndpoint(stack, "Endpoint", &endpoint.EndpointProps{
		Project: demo, Stage: project.Staging, ModelPackageArn: jsii.String(packageArn), Artifacts: store,
		DataCapture: &endpoint.DataCapture{SamplingPercentage: 100},
	})
	props.Project, props.Stage, props.Endpoint, props.EndpointName = demo, project.Staging, ep.Resource, ep.Name
	props.Artifacts, props.CapturePrefix = store, endpoint.DefaultCapturePrefix(project.Staging)
	return monitoring.NewDataQualityMonitor(stack, "Monitoring", &props)
}

var synthesized map[string]testutil.Template

// templates synthesizes the configurations once: the defaults in an environment-
// agnostic stack, and every setting in eu-west-1 with a topic and 12 features.
func templates(t *testing.T) map[string]testutil.Template {
	if synthesized != nil {
		return synthesized
	}
	app := testutil.NewApp(t, "", nil)
	agnostic := awscdk.NewStack(app, jsii.String("Defaults"), nil)
	demo.ApplyTags(agnostic, project.Tag{Key: "sagemaker:deployment-stage", Value: "staging"})
	monitored(agnostic, monitoring.DataQualityMonitorProps{Baseline: monitoring.Baseline{StatisticsURI: statistics, ConstraintsURI: constraints, Features: features(10)}})
	regional := awscdk.NewStack(app, jsii.String("Everything"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}})
	topic := awssns.Topic_FromTopicArn(regional, jsii.String("Topic"), jsii.String("arn:aws:sns:eu-west-1:111111111111:sagemaker-abalone-p-abalonedemo1-notifications"))
	monitored(regional, monitoring.DataQualityMonitorProps{
		Baseline: monitoring.Baseline{StatisticsURI: statistics, ConstraintsURI: constraints, Features: features(12), DriftThreshold: 0.2},
		Schedule: "cron(0 0/6 ? * * *)", InstanceType: "ml.c5.xlarge", MaxRuntimeSeconds: 7200, AlarmTopic: topic,
		Network:          network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}},
		SecurityGroupIDs: *jsii.Strings("sg-0a1b2c3d"),
	})
	synthesized = map[string]testutil.Template{"Defaults": testutil.Synth(t, agnostic), "Everything": testutil.Synth(t, regional)}
	return synthesized
}

func TestTheJobComparesTheCapturedDataWithTheVersionsBaseline(t *testing.T) {
	tpl := templates(t)["Defaults"]
	job := tpl.One(t, "AWS::SageMaker::DataQualityJobDefinition").Properties
	assert.Equal(t, map[string]any{
		"ConstraintsResource": map[string]any{"S3Uri": constraints},
		"StatisticsResource":  map[string]any{"S3Uri": statistics},
	}, job["DataQualityBaselineConfig"])
	input := job["DataQualityJobInput"].(map[string]any)["EndpointInput"].(map[string]any)
	assert.Equal(t, "abalone-p-abalonedemo1-staging", input["EndpointName"])
	output := job["DataQualityJobOutputConfig"].(map[string]any)
	assert.Equal(t, "s3://sagemaker-project-p-abalonedemo1/monitoring-staging", testutil.Render(testutil.Item(t, output["MonitoringOutputs"], 0)["S3Output"].(map[string]any)["S3Uri"]))
	assert.Contains(t, testutil.Render(output["KmsKeyId"]), "alias/sagemaker-project-p-abalonedemo1", "the project key encrypts the reports")
	cluster := job["JobResources"].(map[string]any)["ClusterConfig"].(map[string]any)
	assert.Equal(t, map[string]any{"InstanceCount": 1.0, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20.0}, map[string]any{
		"InstanceCount": cluster["InstanceCount"], "InstanceType": cluster["InstanceType"], "VolumeSizeInGB": cluster["VolumeSizeInGB"]})
	assert.Contains(t, testutil.Render(cluster["VolumeKmsKeyId"]), "alias/sagemaker-project-p-abalonedemo1")
	assert.Equal(t, 3600.0, job["StoppingCondition"].(map[string]any)["MaxRuntimeInSeconds"])
	app := job["DataQualityAppSpecification"].(map[string]any)
	assert.Equal(t, map[string]any{"publish_cloudwatch_metrics": "Enabled"}, app["Environment"], "the alarm watches the metrics")
	// The region is known at deployment only: the analyzer's account comes from a mapping.
	image := testutil.Render(app["ImageUri"])
	assert.Contains(t, image, ".dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/sagemaker-model-monitor-analyzer", image)
	assert.Contains(t, image, "Fn::FindInMap", image)
	assert.Regexp(t, `^abalone-p-abalonedemo1-staging-[0-9a-f]{8}$`, job["JobDefinitionName"], "a new name for each replacement")
	assert.Contains(t, tpl.One(t, "AWS::SageMaker::DataQualityJobDefinition").Raw["DependsOn"], tpl.One(t, "AWS::SageMaker::Endpoint").LogicalID)

	regional := templates(t)["Everything"].One(t, "AWS::SageMaker::DataQualityJobDefinition").Properties
	assert.Equal(t, "468650794304.dkr.ecr.eu-west-1.${AWS::URLSuffix}/sagemaker-model-monitor-analyzer", testutil.Render(regional["DataQualityAppSpecification"].(map[string]any)["ImageUri"]))
	assert.Equal(t, "ml.c5.xlarge", regional["JobResources"].(map[string]any)["ClusterConfig"].(map[string]any)["InstanceType"])
	assert.Equal(t, 7200.0, regional["StoppingCondition"].(map[string]any)["MaxRuntimeInSeconds"])
	assert.NotEqual(t, job["JobDefinitionName"], regional["JobDefinitionName"], "other settings, another name")
}

func TestTheScheduleRunsTheJobOnTheEndpointWithTheProjectsTags(t *testing.T) {
	tpl := templates(t)["Defaults"]
	schedule := tpl.One(t, "AWS::SageMaker::MonitoringSchedule")
	job := tpl.One(t, "AWS::SageMaker::DataQualityJobDefinition")
	assert.Equal(t, "abalone-p-abalonedemo1-staging", schedule.Properties["MonitoringScheduleName"])
	assert.Equal(t, "abalone-p-abalonedemo1-staging", schedule.Properties["EndpointName"])
	config := schedule.Properties["MonitoringScheduleConfig"].(map[string]any)
	assert.Equal(t, job.Properties["JobDefinitionName"], config["MonitoringJobDefinitionName"])
	assert.Equal(t, "DataQuality", config["MonitoringType"])
	assert.Equal(t, map[string]any{"ScheduleExpression": "cron(0 * ? * * *)"}, config["ScheduleConfig"])
	assert.Contains(t, schedule.Raw["DependsOn"], job.LogicalID)
	tags := map[string]string{}
	for _, tag := range schedule.Properties["Tags"].([]any) {
		tags[tag.(map[string]any)["Key"].(string)] = tag.(map[string]any)["Value"].(string)
	}
	assert.Equal(t, map[string]string{"sagemaker:project-name": "abalone", "sagemaker:project-id": "p-abalonedemo1", "sagemaker:deployment-stage": "staging"}, tags, "Studio shows it with the project's endpoint")

	every6h := templates(t)["Everything"].One(t, "AWS::SageMaker::MonitoringSchedule").Properties["MonitoringScheduleConfig"].(map[string]any)
	assert.Equal(t, map[string]any{"ScheduleExpression": "cron(0 0/6 ? * * *)"}, every6h["ScheduleConfig"])
}

func TestTheDriftAlarmWatchesEveryFeatureAndNotifiesTheTopic(t *testing.T) {
	def := templates(t)["Defaults"].Named(t, "AWS::CloudWatch::Alarm", "AlarmName", "abalone-p-abalonedemo1-staging-data-drift").Properties
	assert.Equal(t, "abalone-p-abalonedemo1-staging-data-drift", def["AlarmName"])
	assert.Equal(t, 0.1, def["Threshold"])
	assert.Equal(t, "GreaterThanThreshold", def["ComparisonOperator"])
	assert.Equal(t, "notBreaching", def["TreatMissingData"])
	assert.Nil(t, def["AlarmActions"], "no topic, no action")
	metrics := def["Metrics"].([]any)
	require.Len(t, metrics, 11, "10 features and the expression")
	var names []string
	for _, m := range metrics {
		mm := m.(map[string]any)
		if e, ok := mm["Expression"]; ok {
			assert.Equal(t, "MAX([f0,f1,f2,f3,f4,f5,f6,f7,f8,f9])", e)
			assert.Equal(t, true, mm["ReturnData"])
			continue
		}
		stat := mm["MetricStat"].(map[string]any)
		metric := stat["Metric"].(map[string]any)
		assert.Equal(t, "/aws/sagemaker/Endpoints/data-metric", metric["Namespace"])
		assert.ElementsMatch(t, []any{
			map[string]any{"Name": "EndpointName", "Value": "abalone-p-abalonedemo1-staging"},
			map[string]any{"Name": "ScheduleName", "Value": "abalone-p-abalonedemo1-staging"},
		}, metric["Dimensions"])
		assert.Equal(t, 3600.0, stat["Period"], "one run an hour")
		assert.Equal(t, "Maximum", stat["Stat"])
		names = append(names, metric["MetricName"].(string))
	}
	assert.ElementsMatch(t, []string{
		"feature_baseline_drift__c0", "feature_baseline_drift__c1", "feature_baseline_drift__c2", "feature_baseline_drift__c3", "feature_baseline_drift__c4",
		"feature_baseline_drift__c5", "feature_baseline_drift__c6", "feature_baseline_drift__c7", "feature_baseline_drift__c8", "feature_baseline_drift__c9",
	}, names)
	assert.Contains(t, def["AlarmDescription"], "see the run's constraint_violations.json under s3://sagemaker-project-p-abalonedemo1/monitoring-staging/")

	var alarms []testutil.Resource
	for _, a := range templates(t)["Everything"].Resources("AWS::CloudWatch::Alarm") {
		if strings.Contains(a.Properties["AlarmName"].(string), "-data-drift") {
			alarms = append(alarms, a)
		}
	}
	require.Len(t, alarms, 2, "12 features: an alarm per 10")
	assert.Equal(t, []string{"abalone-p-abalonedemo1-staging-data-drift", "abalone-p-abalonedemo1-staging-data-drift-2"}, []string{alarms[0].Properties["AlarmName"].(string), alarms[1].Properties["AlarmName"].(string)})
	assert.Len(t, alarms[1].Properties["Metrics"], 3)
	for _, a := range alarms {
		assert.Equal(t, 0.2, a.Properties["Threshold"])
		topic := []any{"arn:aws:sns:eu-west-1:111111111111:sagemaker-abalone-p-abalonedemo1-notifications"}
		assert.Equal(t, topic, a.Properties["AlarmActions"])
		assert.Equal(t, topic, a.Properties["OKActions"])
	}
}

// In a VPC, the job runs in its subnets with the groups given, and its role creates
// network interfaces there only; outside one, it has no network config.
func TestTheJobRunsInTheVpcGiven(t *testing.T) {
	tpls := templates(t)
	job := tpls["Everything"].One(t, "AWS::SageMaker::DataQualityJobDefinition").Properties
	assert.Equal(t, map[string]any{"VpcConfig": map[string]any{"Subnets": []any{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}, "SecurityGroupIds": []any{"sg-0a1b2c3d"}}}, job["NetworkConfig"])
	assert.NotContains(t, tpls["Defaults"].One(t, "AWS::SageMaker::DataQualityJobDefinition").Properties, "NetworkConfig")
	role := tpls["Everything"].Named(t, "AWS::IAM::Role", "Description", "Data-quality monitoring of endpoint abalone-p-abalonedemo1-staging of SageMaker project abalone-p-abalonedemo1")
	st := tpls["Everything"].RoleStatements(role.LogicalID)
	fill := testutil.Filler(nil)
	assert.True(t, testutil.Allows(st, fill, "ec2:CreateNetworkInterface", "arn:aws:ec2:eu-west-1:111111111111:subnet/subnet-0a1b2c3d", nil))
	assert.False(t, testutil.Allows(st, fill, "ec2:CreateNetworkInterface", "arn:aws:ec2:eu-west-1:111111111111:subnet/subnet-0f0f0f0f", nil))
}

// The job's role reads the endpoint's captured data and the baseline's two files,
// writes the reports, and nothing else of the bucket.
func TestTheJobsRoleReachesTheCapturedDataTheBaselineAndTheReportsOnly(t *testing.T) {
	tpl := templates(t)["Defaults"]
	role := tpl.Named(t, "AWS::IAM::Role", "Description", "Data-quality monitoring of endpoint abalone-p-abalonedemo1-staging of SageMaker project abalone-p-abalonedemo1")
	assert.Equal(t, "/sagemaker-project-p-abalonedemo1/", role.Properties["Path"], "the path the deployment role may create roles under")
	st := tpl.RoleStatements(role.LogicalID)
	fill := testutil.Filler(map[string]string{"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111"})
	object := func(key string) string { return "arn:aws:s3:::sagemaker-project-p-abalonedemo1/" + key }
	allows := func(action, key string) bool { return testutil.Allows(st, fill, action, object(key), nil) }
	assert.True(t, allows("s3:GetObject", "datacapture-staging/abalone-p-abalonedemo1-staging/AllTraffic/2026/12/02/10/x.jsonl"))
	assert.False(t, allows("s3:GetObject", "datacapture-prod/abalone-p-abalonedemo1-prod/AllTraffic/2026/12/02/10/x.jsonl"), "another endpoint's captures")
	assert.True(t, allows("s3:GetObject", strings.TrimPrefix(statistics, "s3://sagemaker-project-p-abalonedemo1/")))
	assert.True(t, allows("s3:GetObject", strings.TrimPrefix(constraints, "s3://sagemaker-project-p-abalonedemo1/")))
	assert.False(t, allows("s3:GetObject", "abalone-p-abalonedemo1/exec1/PreprocessAbaloneData/output/train/train.csv"), "the training data")
	assert.True(t, allows("s3:PutObject", "monitoring-staging/abalone-p-abalonedemo1-staging/2026/12/02/10/constraint_violations.json"))
	assert.False(t, allows("s3:PutObject", "datacapture-staging/forged.jsonl"))
	assert.False(t, allows("s3:PutObject", "monitoring-prod/report.json"))
	bucket := "arn:aws:s3:::sagemaker-project-p-abalonedemo1"
	lists := func(prefix string) bool {
		return testutil.Allows(st, fill, "s3:ListBucket", bucket, map[string]string{"s3:prefix": prefix})
	}
	assert.True(t, lists("datacapture-staging/abalone-p-abalonedemo1-staging/AllTraffic/2026/12/02/10"), "the job lists the hour's captures")
	assert.False(t, lists("datacapture-prod/abalone-p-abalonedemo1-prod/"), "another endpoint's captures")
	assert.False(t, lists(""), "the whole bucket")
	key := "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	volume := map[string]string{"kms:GrantIsForAWSResource": "true", "kms:ResourceAliases": "alias/sagemaker-project-p-abalonedemo1"}
	assert.True(t, testutil.Allows(st, fill, "kms:CreateGrant", key, volume), "the project's key, found by its alias, for the job's volume")
	volume["kms:GrantIsForAWSResource"] = "false"
	assert.False(t, testutil.Allows(st, fill, "kms:CreateGrant", key, volume), "a grant for anything but an AWS resource")
	assert.True(t, testutil.Allows(st, fill, "cloudwatch:PutMetricData", "*", map[string]string{"cloudwatch:namespace": "/aws/sagemaker/Endpoints/data-metric"}))
	assert.False(t, testutil.Allows(st, fill, "cloudwatch:PutMetricData", "*", map[string]string{"cloudwatch:namespace": "Custom"}))
}

func TestTheRules(t *testing.T) {
	for schedule, interval := range map[string]int{"cron(0 * ? * * *)": 3600, "cron(0 12 ? * * *)": 86400, "cron(0 17/12 ? * * *)": 43200, "cron(0 0/2 ? * * *)": 7200} {
		got, err := monitoring.ScheduleInterval(schedule)
		assert.NoError(t, err, schedule)
		assert.Equal(t, interval, got, schedule)
	}
	for _, bad := range []string{"NOW", "rate(1 hour)", "cron(0 24 ? * * *)", "cron(30 * ? * * *)", "cron(0 0/25 ? * * *)", "cron(0 0/0 ? * * *)", "hourly", ""} {
		assert.ErrorContains(t, monitoring.CheckSchedule(bad), `must be a schedule SageMaker Model Monitor runs: hourly "cron(0 * ? * * *)"`, bad)
	}
	assert.NoError(t, monitoring.CheckMaxRuntime(3600, "cron(0 * ? * * *)"))
	assert.ErrorContains(t, monitoring.CheckMaxRuntime(3601, "cron(0 * ? * * *)"), `must be 60 to 3600 seconds for the schedule "cron(0 * ? * * *)"`)
	assert.NoError(t, monitoring.CheckMaxRuntime(86400, "cron(0 3 ? * * *)"))
	assert.ErrorContains(t, monitoring.CheckMaxRuntime(59, "cron(0 3 ? * * *)"), "must be 60 to 86400 seconds")
	assert.ErrorContains(t, monitoring.CheckInstanceType("m5.xlarge"), "must be a SageMaker processing instance type such as ml.m5.xlarge")
}

func TestBadPropsPanicNamingThePropTheValueAndWhatIsAllowed(t *testing.T) {
	good := monitoring.Baseline{StatisticsURI: statistics, ConstraintsURI: constraints, Features: features(10)}
	for name, c := range map[string]struct {
		props monitoring.DataQualityMonitorProps
		want  string
	}{
		"schedule": {monitoring.DataQualityMonitorProps{Baseline: good, Schedule: "rate(1 hour)"}, `DataQualityMonitorProps.Schedule "rate(1 hour)": must be a schedule SageMaker Model Monitor runs`},
		"runtime":  {monitoring.DataQualityMonitorProps{Baseline: good, MaxRuntimeSeconds: 7200}, `DataQualityMonitorProps.MaxRuntimeSeconds 7200: must be 60 to 3600 seconds`},
		"instance": {monitoring.DataQualityMonitorProps{Baseline: good, InstanceType: "large"}, `DataQualityMonitorProps.InstanceType "large": must be a SageMaker processing instance type`},
		"uri":      {monitoring.DataQualityMonitorProps{Baseline: monitoring.Baseline{StatisticsURI: "statistics.json", ConstraintsURI: constraints, Features: features(1)}}, `DataQualityMonitorProps.Baseline.StatisticsURI "statistics.json": must be an s3://<bucket>/<key> URI`},
		"bucket":   {monitoring.DataQualityMonitorProps{Baseline: monitoring.Baseline{StatisticsURI: statistics, ConstraintsURI: "s3://elsewhere/constraints.json", Features: features(1)}}, `DataQualityMonitorProps.Baseline.ConstraintsURI "s3://elsewhere/constraints.json": must be in the artifact store's bucket sagemaker-project-p-abalonedemo1`},
		"features": {monitoring.DataQualityMonitorProps{Baseline: monitoring.Baseline{StatisticsURI: statistics, ConstraintsURI: constraints}}, "DataQualityMonitorProps.Baseline.Features is required"},
		"network without groups": {monitoring.DataQualityMonitorProps{Baseline: good, Network: network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d", "subnet-0a1b2c3e"}}},
			"DataQualityMonitorProps.SecurityGroupIDs is required with Network"},
		"one subnet": {monitoring.DataQualityMonitorProps{Baseline: good, Network: network.Placement{VpcID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d"}}, SecurityGroupIDs: *jsii.Strings("sg-0a1b2c3d")},
			`DataQualityMonitorProps.Network: network.Placement: SubnetIDs "subnet-0a1b2c3d" must be 2 to 16 different subnets`},
		"threshold": {monitoring.DataQualityMonitorProps{Baseline: monitoring.Baseline{StatisticsURI: statistics, ConstraintsURI: constraints, Features: features(1), DriftThreshold: 2}}, "DataQualityMonitorProps.Baseline.DriftThreshold 2: must be above 0 and at most 1"},
	} {
		t.Run(name, func(t *testing.T) {
			stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Bad"), nil)
			defer func() {
				r := recover()
				require.NotNil(t, r, "no panic")
				assert.Contains(t, fmt.Sprint(r), c.want)
			}()
			monitored(stack, c.props)
		})
	}
}
