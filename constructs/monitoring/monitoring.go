// Package monitoring provides data-quality monitoring of a SageMaker endpoint against
// the baseline of the model version it serves: a job definition that runs SageMaker
// Model Monitor's analyzer on the endpoint's captured data, the schedule that runs it,
// the job's role (which reads the captured data and the baseline and writes the
// reports, nothing else), and an alarm on the drift the job reports.
package monitoring

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// Baseline is the data-quality baseline of a model version, as the ModelBuild
// pipeline's quality check wrote it and the version records it (DriftCheckBaselines,
// or ModelMetrics).
type Baseline struct {
	// StatisticsURI and ConstraintsURI are the baseline's files, s3:// URIs in the
	// artifact store. Required.
	StatisticsURI, ConstraintsURI string
	// Features are the names of the features the constraints list, whose drift the
	// alarm watches. Required.
	Features []string
	// DriftThreshold is the constraints' distribution comparison threshold. Default:
	// DefaultDriftThreshold.
	DriftThreshold float64
}

// DataQualityMonitorProps configures a DataQualityMonitor.
type DataQualityMonitorProps struct {
	// Project owns the endpoint; its tags and the stage's go on every resource through
	// the stack. Required.
	Project project.Identity
	// Stage is the endpoint's stage. Required.
	Stage project.Stage
	// Endpoint is the monitored endpoint, which must capture data. Required.
	Endpoint awssagemaker.CfnEndpoint
	// EndpointName is its name. Required.
	EndpointName string
	// Artifacts holds the captured data, the baseline and the reports; its key
	// encrypts the reports and the job's volume. Required.
	Artifacts artifacts.IArtifactStore
	// CapturePrefix is where the endpoint captures data in the artifact store.
	// Required.
	CapturePrefix string
	// Baseline is what the captured data is compared with. Required.
	Baseline Baseline
	// Schedule is when the job runs (see CheckSchedule). Default: DefaultSchedule,
	// hourly.
	Schedule string
	// InstanceType is the job's instance. Default: DefaultInstanceType.
	InstanceType string
	// MaxRuntimeSeconds is the longest a run may take (see CheckMaxRuntime). Default:
	// DefaultMaxRuntimeSeconds.
	MaxRuntimeSeconds int
	// AlarmTopic is notified when the alarm goes off and when it clears. Default: none.
	AlarmTopic awssns.ITopic
	// VolumeKey encrypts the job's storage volume. Default: the artifacts' key. A job
	// in another account than its artifacts needs a key of its own account, as an
	// endpoint there does.
	VolumeKey awskms.IKey
	// Network is the VPC the job runs in, with SecurityGroupIDs (ids or tokens, e.g.
	// the endpoint's groups); the job's role may create network interfaces there only.
	// Default: none, AWS-managed networking.
	Network network.Placement
	// SecurityGroupIDs are the job's security groups in Network. Required with it.
	SecurityGroupIDs []*string
}

// DataQualityMonitor is the monitoring of one endpoint.
type DataQualityMonitor struct {
	constructs.Construct
	// ReportsPrefix is where the runs write their reports in the artifact store,
	// `monitoring-<stage>/`.
	ReportsPrefix string
	// Role is the job's role.
	Role awsiam.Role
	// JobDefinition and Schedule are the CloudFormation resources.
	JobDefinition awssagemaker.CfnDataQualityJobDefinition
	Schedule      awssagemaker.CfnMonitoringSchedule
	// DriftAlarms go off when a run finds a feature's distribution drifted beyond the
	// baseline's threshold: one per ten features (an alarm's limit of metrics).
	DriftAlarms []awscloudwatch.Alarm
}

// CapturedPrefix is where an endpoint capturing data under capturePrefix writes it,
// `<capture prefix>/<endpoint>/`: what its monitoring job reads.
func CapturedPrefix(capturePrefix, endpointName string) string {
	return strings.TrimSuffix(capturePrefix, "/") + "/" + endpointName + "/"
}

// ReportsPrefix is where the monitoring of a stage writes its reports.
func ReportsPrefix(stage project.Stage) string { return "monitoring-" + string(stage) + "/" }

// DriftAlarmName is the name of the i-th (from 0) drift alarm of an endpoint.
func DriftAlarmName(endpointName string, i int) string {
	if i == 0 {
		return endpointName + "-data-drift"
	}
	return fmt.Sprintf("%s-data-drift-%d", endpointName, i+1)
}

// NewDataQualityMonitor creates the monitoring. It panics, naming the prop, when the
// props are invalid.
func NewDataQualityMonitor(scope constructs.Construct, id string, props *DataQualityMonitorProps) *DataQualityMonitor {
	p := withDefaults(*props)
	if err := p.validate(); err != nil {
		panic(err.Error())
	}
	c := constructs.NewConstruct(scope, &id)
	m := &DataQualityMonitor{Construct: c, ReportsPrefix: ReportsPrefix(p.Stage)}
	m.Role = newJobRole(c, p, m.ReportsPrefix)
	m.JobDefinition = newJobDefinition(c, p, m.Role, m.ReportsPrefix)
	m.Schedule = awssagemaker.NewCfnMonitoringSchedule(c, jsii.String("Schedule"), &awssagemaker.CfnMonitoringScheduleProps{
		// One data-quality schedule per endpoint, named after it.
		MonitoringScheduleName: jsii.String(p.EndpointName),
		EndpointName:           jsii.String(p.EndpointName),
		MonitoringScheduleConfig: &awssagemaker.CfnMonitoringSchedule_MonitoringScheduleConfigProperty{
			MonitoringJobDefinitionName: m.JobDefinition.JobDefinitionName(),
			MonitoringType:              jsii.String("DataQuality"),
			ScheduleConfig:              &awssagemaker.CfnMonitoringSchedule_ScheduleConfigProperty{ScheduleExpression: jsii.String(p.Schedule)},
		},
	})
	m.Schedule.AddResourceDependency(m.JobDefinition, jsii.String("the schedule runs the job definition"))
	m.DriftAlarms = newDriftAlarms(c, p)
	return m
}

// newJobRole creates the job's role: it reads the captured data and the baseline,
// writes the reports, encrypts with the artifacts' key, writes its logs and metrics.
func newJobRole(c constructs.Construct, p DataQualityMonitorProps, reports string) awsiam.Role {
	role := awsiam.NewRole(c, jsii.String("JobRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil),
		Description: jsii.String("Data-quality monitoring of endpoint " + p.EndpointName + " of SageMaker project " + p.Project.NameID()),
		Path:        jsii.String(p.Project.ModelRolePath()),
	})
	captured := CapturedPrefix(p.CapturePrefix, p.EndpointName)
	p.Artifacts.GrantList(role, captured)
	p.Artifacts.GrantRead(role, captured)
	// In this order, so that the template is the same at every synthesis.
	for _, f := range []struct{ file, uri string }{{"Statistics", p.Baseline.StatisticsURI}, {"Constraints", p.Baseline.ConstraintsURI}} {
		file, uri := f.file, f.uri
		_, key, _ := splitS3(uri)
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadBaseline" + file),
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: &[]*string{exactObjectArn(c, p.Artifacts, key)},
		}))
	}
	p.Artifacts.GrantWrite(role, reports)
	stack := awscdk.Stack_Of(c)
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("JobLogs"),
		Actions: jsii.Strings("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
		Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"),
			ResourceName: jsii.String("/aws/sagemaker/ProcessingJobs:*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
	}))
	grantVolumeEncryption(role, p)
	if p.Network.IsSet() {
		network.GrantNetworkInterfaces(role, p.Network, p.SecurityGroupIDs)
		network.SuppressNetworkInterfaceFindings(role)
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PullAnalyzerImage"),
		Actions:   jsii.Strings("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
		Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ecr"), Account: jsii.String("*"), Resource: jsii.String("repository"), ResourceName: jsii.String(analyzerRepository)})},
	}))
	serviceWide := awsiam.NewPolicy(role, jsii.String("ServiceWidePolicy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("DriftMetrics"),
				Actions:    jsii.Strings("cloudwatch:PutMetricData"),
				Resources:  jsii.Strings("*"),
				Conditions: &map[string]any{"StringLike": map[string]any{"cloudwatch:namespace": metricNamespace + "*"}},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("AnalyzerImageToken"), Actions: jsii.Strings("ecr:GetAuthorizationToken"), Resources: jsii.Strings("*"),
			}),
		},
	})
	nag.Suppress(serviceWide, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "cloudwatch:PutMetricData and ecr:GetAuthorizationToken support no resource-level permissions; PutMetricData is limited to Model Monitor's endpoint metrics namespace by condition.",
		AppliesTo: []string{"Resource::*"},
	})
	nag.Suppress(role, nag.Rule{
		ID:     "AwsSolutions-IAM5",
		Reason: "The job reads the endpoint's captured data and writes its reports under generated keys of the project's own bucket and prefixes, uses the project's key (found by its alias, as its id is unknown before deployment), writes processing job log streams and pulls the analyzer image, which AWS publishes from a different account in each region.",
		AppliesTo: []string{
			nag.Resource(role, p.Artifacts.ObjectsArn(captured)),
			nag.Resource(role, p.Artifacts.ObjectsArn(reports)),
		},
		AppliesToPatterns: []string{
			nag.ArnPattern("kms", "key/*"),
			nag.ArnPattern("logs", "log-group:/aws/sagemaker/ProcessingJobs:*"),
			nag.ArnPattern("ecr", "repository/"+analyzerRepository),
		},
	})
	return role
}

// newJobDefinition creates the job definition. Its name carries a digest of what it
// holds, since CloudFormation replaces a job definition on any change and a new one
// needs a new name.
func newJobDefinition(c constructs.Construct, p DataQualityMonitorProps, role awsiam.Role, reports string) awssagemaker.CfnDataQualityJobDefinition {
	bucket := *p.Artifacts.BucketName()
	props := &awssagemaker.CfnDataQualityJobDefinitionProps{
		JobDefinitionName: jsii.String(jobDefinitionName(p)),
		DataQualityAppSpecification: &awssagemaker.CfnDataQualityJobDefinition_DataQualityAppSpecificationProperty{
			ImageUri:    analyzerImage(c),
			Environment: &map[string]*string{"publish_cloudwatch_metrics": jsii.String("Enabled")},
		},
		DataQualityBaselineConfig: &awssagemaker.CfnDataQualityJobDefinition_DataQualityBaselineConfigProperty{
			ConstraintsResource: &awssagemaker.CfnDataQualityJobDefinition_ConstraintsResourceProperty{S3Uri: jsii.String(p.Baseline.ConstraintsURI)},
			StatisticsResource:  &awssagemaker.CfnDataQualityJobDefinition_StatisticsResourceProperty{S3Uri: jsii.String(p.Baseline.StatisticsURI)},
		},
		DataQualityJobInput: &awssagemaker.CfnDataQualityJobDefinition_DataQualityJobInputProperty{
			EndpointInput: &awssagemaker.CfnDataQualityJobDefinition_EndpointInputProperty{
				EndpointName:           jsii.String(p.EndpointName),
				LocalPath:              jsii.String("/opt/ml/processing/input/endpoint"),
				S3InputMode:            jsii.String("File"),
				S3DataDistributionType: jsii.String("FullyReplicated"),
			},
		},
		DataQualityJobOutputConfig: &awssagemaker.CfnDataQualityJobDefinition_MonitoringOutputConfigProperty{
			KmsKeyId: p.Artifacts.KeyArn(),
			MonitoringOutputs: &[]any{&awssagemaker.CfnDataQualityJobDefinition_MonitoringOutputProperty{
				S3Output: &awssagemaker.CfnDataQualityJobDefinition_S3OutputProperty{
					LocalPath:    jsii.String("/opt/ml/processing/output"),
					S3Uri:        jsii.String("s3://" + bucket + "/" + strings.TrimSuffix(reports, "/")),
					S3UploadMode: jsii.String("EndOfJob"),
				},
			}},
		},
		JobResources: &awssagemaker.CfnDataQualityJobDefinition_MonitoringResourcesProperty{
			ClusterConfig: &awssagemaker.CfnDataQualityJobDefinition_ClusterConfigProperty{
				InstanceCount:  jsii.Number(1),
				InstanceType:   jsii.String(p.InstanceType),
				VolumeSizeInGb: jsii.Number(DefaultVolumeSizeGB),
				VolumeKmsKeyId: volumeKeyArn(p),
			},
		},
		NetworkConfig:     networkConfig(p),
		RoleArn:           role.RoleArn(),
		StoppingCondition: &awssagemaker.CfnDataQualityJobDefinition_StoppingConditionProperty{MaxRuntimeInSeconds: jsii.Number(float64(p.MaxRuntimeSeconds))},
	}
	job := awssagemaker.NewCfnDataQualityJobDefinition(c, jsii.String("JobDefinition"), props)
	job.AddResourceDependency(p.Endpoint, jsii.String("the job reads the endpoint's captured data"))
	if policy := role.Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
		job.Node().AddDependency(policy)
	}
	return job
}

// grantVolumeEncryption lets the job encrypt its volume with its key.
func grantVolumeEncryption(role awsiam.Role, p DataQualityMonitorProps) {
	if p.VolumeKey == nil {
		p.Artifacts.GrantVolumeEncryption(role)
		return
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EncryptJobVolume"),
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  &[]*string{p.VolumeKey.KeyArn()},
		Conditions: &map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}},
	}))
}

// networkConfig places the job in its VPC, nil outside one.
func networkConfig(p DataQualityMonitorProps) *awssagemaker.CfnDataQualityJobDefinition_NetworkConfigProperty {
	if !p.Network.IsSet() {
		return nil
	}
	return &awssagemaker.CfnDataQualityJobDefinition_NetworkConfigProperty{
		VpcConfig: &awssagemaker.CfnDataQualityJobDefinition_VpcConfigProperty{
			Subnets: jsii.Strings(p.Network.SubnetIDs...), SecurityGroupIds: &p.SecurityGroupIDs,
		},
	}
}

// volumeKeyArn is the key of the job's storage volume.
func volumeKeyArn(p DataQualityMonitorProps) *string {
	if p.VolumeKey != nil {
		return p.VolumeKey.KeyArn()
	}
	return p.Artifacts.KeyArn()
}

// jobDefinitionName is `<name>-<id>-<stage>-<digest>`, or `<name>-<id>-<digest>`
// where that is too long, the digest being of the job's settings and baseline: the
// project's prefix, which the deployment role's grants name, and a new name for each
// replacement.
func jobDefinitionName(p DataQualityMonitorProps) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{p.Baseline.StatisticsURI, p.Baseline.ConstraintsURI, p.InstanceType, fmt.Sprint(p.MaxRuntimeSeconds), p.CapturePrefix, p.EndpointName}, "\n")))
	digest := hex.EncodeToString(sum[:])[:8]
	if name := p.Project.NameID() + "-" + string(p.Stage) + "-" + digest; len(name) <= maxJobDefinitionName {
		return name
	}
	return p.Project.NameID() + "-" + digest
}

// maxJobDefinitionName is the longest job definition name SageMaker accepts.
const maxJobDefinitionName = 63

// analyzerImage is the analyzer image of the stack's region: looked up in a mapping
// when the region is only known at deployment.
func analyzerImage(c constructs.Construct) *string {
	stack := awscdk.Stack_Of(c)
	var account *string
	if region := *stack.Region(); !*awscdk.Token_IsUnresolved(jsii.String(region)) {
		a, ok := analyzerAccounts[region]
		if !ok {
			panic(fmt.Sprintf("SageMaker Model Monitor publishes no analyzer image in region %s: it does in %s", region, strings.Join(regions(), ", ")))
		}
		account = jsii.String(a)
	} else {
		mapping := map[string]*map[string]any{}
		for r, a := range analyzerAccounts {
			mapping[r] = &map[string]any{"account": a}
		}
		account = awscdk.NewCfnMapping(c, jsii.String("AnalyzerAccounts"), &awscdk.CfnMappingProps{Mapping: &mapping}).FindInMap(stack.Region(), jsii.String("account"), nil)
	}
	return awscdk.Fn_Join(jsii.String(""), &[]*string{account, jsii.String(".dkr.ecr."), stack.Region(), jsii.String("."), stack.UrlSuffix(), jsii.String("/" + analyzerRepository)})
}

func regions() []string {
	out := make([]string, 0, len(analyzerAccounts))
	for r := range analyzerAccounts {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// metricNamespace is where the analyzer publishes the drift of an endpoint's features
// (SageMaker developer guide, "CloudWatch Metrics" of Model Monitor).
const metricNamespace = "/aws/sagemaker/Endpoints/data-metric"

// maxAlarmMetrics is the most metrics one alarm's expression may use.
const maxAlarmMetrics = 10

// newDriftAlarms creates the alarms on the features' baseline drift, which go off
// when a run finds a feature's distribution further than the threshold from the
// baseline's: the violation the run reports.
func newDriftAlarms(c constructs.Construct, p DataQualityMonitorProps) []awscloudwatch.Alarm {
	interval, _ := ScheduleInterval(p.Schedule)
	var alarms []awscloudwatch.Alarm
	for i := 0; i*maxAlarmMetrics < len(p.Baseline.Features); i++ {
		features := p.Baseline.Features[i*maxAlarmMetrics : min(len(p.Baseline.Features), (i+1)*maxAlarmMetrics)]
		using := map[string]awscloudwatch.IMetric{}
		var ids []string
		for j, f := range features {
			ids = append(ids, fmt.Sprintf("f%d", j))
			using[ids[j]] = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace:     jsii.String(metricNamespace),
				MetricName:    jsii.String("feature_baseline_drift_" + f),
				DimensionsMap: &map[string]*string{"EndpointName": jsii.String(p.EndpointName), "ScheduleName": jsii.String(p.EndpointName)},
				Statistic:     jsii.String("Maximum"),
				Period:        awscdk.Duration_Seconds(jsii.Number(float64(interval))),
			})
		}
		name := DriftAlarmName(p.EndpointName, i)
		alarm := awscloudwatch.NewAlarm(c, jsii.String(fmt.Sprintf("DriftAlarm%d", i+1)), &awscloudwatch.AlarmProps{
			AlarmName: jsii.String(name),
			AlarmDescription: jsii.String(fmt.Sprintf("A data-quality run of endpoint %s found the distribution of one of %s drifted more than %g from the baseline of the version it serves (%s): see the run's constraint_violations.json under s3://%s/%s",
				p.EndpointName, strings.Join(features, ", "), p.Baseline.DriftThreshold, p.Baseline.ConstraintsURI, *p.Artifacts.BucketName(), ReportsPrefix(p.Stage))),
			Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression:   jsii.String("MAX([" + strings.Join(ids, ",") + "])"),
				UsingMetrics: &using,
				Label:        jsii.String("largest feature drift"),
				Period:       awscdk.Duration_Seconds(jsii.Number(float64(interval))),
			}),
			Threshold:          jsii.Number(p.Baseline.DriftThreshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			// No run, no data: the schedule's runs are hours apart.
			TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		if p.AlarmTopic != nil {
			action := awscloudwatchactions.NewSnsAction(p.AlarmTopic)
			alarm.AddAlarmAction(action)
			alarm.AddOkAction(action)
		}
		alarms = append(alarms, alarm)
	}
	return alarms
}

// withDefaults returns p with the defaults of its unset fields.
func withDefaults(p DataQualityMonitorProps) DataQualityMonitorProps {
	if p.Schedule == "" {
		p.Schedule = DefaultSchedule
	}
	if p.InstanceType == "" {
		p.InstanceType = DefaultInstanceType
	}
	if p.MaxRuntimeSeconds == 0 {
		p.MaxRuntimeSeconds = DefaultMaxRuntimeSeconds
	}
	if p.Baseline.DriftThreshold == 0 {
		p.Baseline.DriftThreshold = DefaultDriftThreshold
	}
	return p
}

// validate reports every invalid prop, naming it.
func (p DataQualityMonitorProps) validate() error {
	var problems []string
	add := func(field string, value any, err error) {
		if err != nil {
			problems = append(problems, fmt.Sprintf("DataQualityMonitorProps.%s %v: %v", field, value, err))
		}
	}
	add("Project", p.Project.NameID(), p.Project.Validate())
	add("Stage", fmt.Sprintf("%q", p.Stage), p.Stage.Check())
	if p.Endpoint == nil || p.EndpointName == "" {
		problems = append(problems, "DataQualityMonitorProps.Endpoint and EndpointName are required")
	}
	if p.Artifacts == nil {
		problems = append(problems, "DataQualityMonitorProps.Artifacts is required")
	}
	if p.CapturePrefix == "" {
		problems = append(problems, "DataQualityMonitorProps.CapturePrefix is required: the endpoint must capture data to be monitored")
	}
	if err := p.Network.Check(); err != nil {
		problems = append(problems, "DataQualityMonitorProps.Network: "+err.Error())
	}
	if p.Network.IsSet() && len(p.SecurityGroupIDs) == 0 {
		problems = append(problems, "DataQualityMonitorProps.SecurityGroupIDs is required with Network: give the job's security groups, e.g. the endpoint's")
	}
	for field, uri := range map[string]string{"Baseline.StatisticsURI": p.Baseline.StatisticsURI, "Baseline.ConstraintsURI": p.Baseline.ConstraintsURI} {
		bucket, _, err := splitS3(uri)
		if err == nil && p.Artifacts != nil && !*awscdk.Token_IsUnresolved(p.Artifacts.BucketName()) && bucket != *p.Artifacts.BucketName() {
			err = fmt.Errorf("must be in the artifact store's bucket %s, which the job may read", *p.Artifacts.BucketName())
		}
		add(field, fmt.Sprintf("%q", uri), err)
	}
	if len(p.Baseline.Features) == 0 {
		problems = append(problems, "DataQualityMonitorProps.Baseline.Features is required: the features of the baseline's constraints")
	}
	if p.Baseline.DriftThreshold <= 0 || p.Baseline.DriftThreshold > 1 {
		add("Baseline.DriftThreshold", p.Baseline.DriftThreshold, fmt.Errorf("must be above 0 and at most 1, a distance between distributions"))
	}
	add("Schedule", fmt.Sprintf("%q", p.Schedule), CheckSchedule(p.Schedule))
	add("InstanceType", fmt.Sprintf("%q", p.InstanceType), CheckInstanceType(p.InstanceType))
	add("MaxRuntimeSeconds", p.MaxRuntimeSeconds, CheckMaxRuntime(p.MaxRuntimeSeconds, p.Schedule))
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("invalid data-quality monitoring of endpoint %q:\n  %s", p.EndpointName, strings.Join(problems, "\n  "))
	}
	return nil
}

// splitS3 splits an s3://bucket/key URI.
func splitS3(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, key, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", fmt.Errorf("must be an s3://<bucket>/<key> URI")
	}
	return bucket, key, nil
}

// exactObjectArn is the ARN of one object of the artifact store.
func exactObjectArn(c constructs.Construct, a artifacts.IArtifactStore, key string) *string {
	return jsii.String("arn:" + *awscdk.Stack_Of(c).Partition() + ":s3:::" + *a.BucketName() + "/" + key)
}
