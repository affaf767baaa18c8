package endpoint

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/internal/tokens"
)

// RollbackAlarmNames are the names of the alarms that roll back an update of the
// endpoint named endpointName: its 5XX errors, then its model latency.
func RollbackAlarmNames(endpointName string) []string {
	return []string{endpointName + "-5xx-errors", endpointName + "-model-latency"}
}

// newRollbackAlarms creates the alarms on the endpoint's variant that roll an update
// back, and lets the model role describe them, as SageMaker requires of the role of
// an endpoint with auto-rollback. No data (no traffic) is not a failure.
func newRollbackAlarms(c constructs.Construct, p EndpointProps, name string, role awsiam.Role) []awscloudwatch.Alarm {
	d := p.Deployment
	names := RollbackAlarmNames(name)
	metric := func(metricName, statistic string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/SageMaker"), MetricName: jsii.String(metricName),
			DimensionsMap: &map[string]*string{"EndpointName": jsii.String(name), "VariantName": jsii.String(VariantName)},
			Statistic:     jsii.String(statistic), Period: awscdk.Duration_Minutes(jsii.Number(1)),
		})
	}
	serving := ""
	if !tokens.Is(*p.ModelPackageArn) {
		serving = ", serving model version " + *p.ModelPackageArn
	}
	what := " of endpoint " + name + " (stage " + string(p.Stage) + " of SageMaker project " + p.Project.NameID() + serving + "); during a deployment it rolls the endpoint back to the previous model."
	alarms := []awscloudwatch.Alarm{
		awscloudwatch.NewAlarm(c, jsii.String("Errors5xxAlarm"), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(names[0]),
			AlarmDescription:   jsii.String(strconv.Itoa(d.Alarm5xxErrors) + " or more 5XX responses in a minute" + what),
			Metric:             metric("Invocation5XXErrors", "Sum"),
			Threshold:          jsii.Number(float64(d.Alarm5xxErrors)),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}),
		awscloudwatch.NewAlarm(c, jsii.String("ModelLatencyAlarm"), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(names[1]),
			AlarmDescription:   jsii.String("p99 model latency above " + strconv.Itoa(d.AlarmModelLatencyMs) + " ms in 2 of 3 minutes" + what),
			Metric:             metric("ModelLatency", "p99"),
			Threshold:          jsii.Number(float64(d.AlarmModelLatencyMs) * 1000), // ModelLatency is in microseconds
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(3),
			DatapointsToAlarm:  jsii.Number(2),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}),
	}
	arns := make([]*string, len(alarms))
	for i, a := range alarms {
		arns[i] = a.AlarmArn()
		if p.AlarmTopic != nil {
			a.AddAlarmAction(awscloudwatchactions.NewSnsAction(p.AlarmTopic))
		}
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("DescribeRollbackAlarms"), Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: &arns,
	}))
	return alarms
}

// deploymentConfig is the endpoint's blue/green update policy and auto-rollback.
func deploymentConfig(d Deployment, alarms []awscloudwatch.Alarm) *awssagemaker.CfnEndpoint_DeploymentConfigProperty {
	routing := &awssagemaker.CfnEndpoint_TrafficRoutingConfigProperty{
		WaitIntervalInSeconds: jsii.Number(float64(d.BakeSeconds)),
	}
	instances := func(n int) *awssagemaker.CfnEndpoint_CapacitySizeProperty {
		return &awssagemaker.CfnEndpoint_CapacitySizeProperty{Type: jsii.String("INSTANCE_COUNT"), Value: jsii.Number(float64(n))}
	}
	switch d.Strategy {
	case Canary:
		routing.Type, routing.CanarySize = jsii.String("CANARY"), instances(d.CanaryInstances)
	case Linear:
		routing.Type, routing.LinearStepSize = jsii.String("LINEAR"), instances(d.LinearStepInstances)
	default:
		routing.Type = jsii.String("ALL_AT_ONCE")
	}
	names := make([]interface{}, len(alarms))
	for i, a := range alarms {
		names[i] = &awssagemaker.CfnEndpoint_AlarmProperty{AlarmName: a.AlarmName()}
	}
	return &awssagemaker.CfnEndpoint_DeploymentConfigProperty{
		BlueGreenUpdatePolicy: &awssagemaker.CfnEndpoint_BlueGreenUpdatePolicyProperty{
			TrafficRoutingConfiguration:      routing,
			TerminationWaitInSeconds:         jsii.Number(float64(d.TerminationWaitSeconds)),
			MaximumExecutionTimeoutInSeconds: jsii.Number(float64(d.MaxExecutionSeconds)),
		},
		AutoRollbackConfiguration: &awssagemaker.CfnEndpoint_AutoRollbackConfigProperty{Alarms: &names},
	}
}
