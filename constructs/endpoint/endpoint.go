// Package endpoint provides a SageMaker real-time endpoint that serves a version of the
// project's model registry: the model created from the model package, its execution
// role, the endpoint configuration (instance or serverless hosting, data capture,
// encryption), the endpoint named `<name>-<id>-<stage>` with its deployment guardrails
// (a blue/green update policy and the alarms that roll it back), and optional
// autoscaling.
package endpoint

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
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

var testerRoleArn = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]+$`)

// VariantName is the name of the endpoint's single production variant.
const VariantName = "AllTraffic"

// EndpointProps configures an Endpoint.
type EndpointProps struct {
	// Project names the endpoint `<name>-<id>-<stage>`. Required.
	Project project.Identity
	// Stage is the deployment stage the endpoint serves, e.g. project.Staging (see
	// project.Stage.Check). Required.
	Stage project.Stage
	// ModelPackageArn is the model version to serve; a token (e.g. a CloudFormation
	// parameter) is accepted. Required.
	ModelPackageArn *string
	// Artifacts holds the model artifacts (read by the model) and receives captured
	// data; its key encrypts the endpoint's storage and captured data. Required.
	Artifacts artifacts.IArtifactStore
	// ModelArtifactsPrefix is the key prefix under which the model may read artifacts.
	// Default: "" (the whole store).
	ModelArtifactsPrefix string
	// Instance hosts the model on instances. Default: one ml.m5.large, no autoscaling,
	// when Serverless is nil. Setting both is an error.
	Instance *InstanceHosting
	// Serverless hosts the model on serverless capacity (scale to zero). Default: nil.
	Serverless *ServerlessHosting
	// DataCapture captures requests and responses. Default: nil, no capture.
	// Serverless endpoints cannot capture data.
	DataCapture *DataCapture
	// StorageKey encrypts the instances' storage volumes. Default: the artifacts' key.
	// An endpoint in another account than its artifacts should have a key of its own.
	// Instance types with NVMe instance storage (see HasInstanceStorage) have no volume
	// to encrypt: their hardware encrypts the storage, and no key is set.
	StorageKey awskms.IKey
	// Deployment is how SageMaker updates the endpoint to a new model or configuration.
	// Default: DefaultDeployment, the safest strategy the fleet allows with a bake of
	// every step and auto-rollback.
	Deployment *Deployment
	// AlarmTopic receives the rollback alarms' state changes (an alarm that trips during
	// an update has rolled it back). Default: none.
	AlarmTopic awssns.ITopic
	// Network is the VPC whose subnets the model's instances run in, with its security
	// groups (a group with no inbound rule and outbound HTTPS only is created when it
	// names none); the model role may create network interfaces there only. Default:
	// none, AWS-managed networking. Serverless hosting cannot run in a VPC.
	Network network.Placement
	// TesterRoleArn is the role of a test gate that invokes the endpoint from another
	// account. The endpoint then gets the role TesterRoleName, which only that role may
	// assume, and which may only describe and invoke this endpoint. Default: none.
	TesterRoleArn string
}

// InstanceHosting hosts the model on provisioned instances.
type InstanceHosting struct {
	// InstanceType of every instance. Default: DefaultInstanceType, "ml.m5.large".
	InstanceType string
	// InitialInstanceCount is how many instances start. Default: DefaultInstanceCount, 1.
	InitialInstanceCount int
	// Autoscaling scales the instance count on invocations per instance. Default: nil,
	// a fixed count.
	Autoscaling *Autoscaling
	// NetworkAccess lets the model container open network connections. Default: false,
	// the container runs network-isolated (EnableNetworkIsolation): SageMaker hands it
	// its model artifacts and requests, and it can reach nothing else, inside or
	// outside a VPC. A model that downloads weights or calls another service at
	// run time needs it. (Serverless endpoints do not support isolation.)
	NetworkAccess bool
}

// Autoscaling is target tracking on SageMakerVariantInvocationsPerInstance.
type Autoscaling struct {
	// MinCapacity is the fewest instances. Required, at least 1.
	MinCapacity int
	// MaxCapacity is the most instances. Required, at least MinCapacity.
	MaxCapacity int
	// TargetInvocationsPerInstance is the invocations per instance per minute to hold.
	// Default: DefaultTargetInvocationsPerInstance, 70.
	TargetInvocationsPerInstance int
}

// ServerlessHosting hosts the model on serverless capacity.
type ServerlessHosting struct {
	// MemorySizeMiB is one of ServerlessMemorySizes. Default:
	// DefaultServerlessMemorySizeMiB, 2048.
	MemorySizeMiB int
	// MaxConcurrency is the most concurrent invocations, 1 to 200. Default:
	// DefaultServerlessMaxConcurrency, 5.
	MaxConcurrency int
}

// DataCapture captures a sample of requests and responses into the artifact store.
type DataCapture struct {
	// SamplingPercentage of requests captured, 0 to 100. Required.
	SamplingPercentage int
	// Prefix is the S3 key prefix of captured data. Default: `datacapture-<stage>`.
	Prefix string
}

// Endpoint is a SageMaker endpoint serving one model version.
type Endpoint struct {
	constructs.Construct
	// Name is the endpoint's name, `<name>-<id>-<stage>`.
	Name string
	// Role is the model's execution role: it reads the model artifacts and writes
	// captured data, nothing else.
	Role awsiam.Role
	// Model, Config and Resource are the CloudFormation resources of the endpoint.
	Model    awssagemaker.CfnModel
	Config   awssagemaker.CfnEndpointConfig
	Resource awssagemaker.CfnEndpoint
	// RollbackAlarms are the alarms that roll an update back (see RollbackAlarmNames).
	RollbackAlarms []awscloudwatch.Alarm
	// SecurityGroupIDs are the model's security groups in its VPC (Network), nil
	// without one: jobs on the endpoint's data, such as its monitoring, can use them.
	SecurityGroupIDs []*string
}

// NewEndpoint creates the endpoint. It panics, naming the prop, when the props are
// invalid or inconsistent.
func NewEndpoint(scope constructs.Construct, id string, props *EndpointProps) *Endpoint {
	p := normalize(props)
	if err := p.validate(); err != nil {
		panic(err.Error())
	}
	c := constructs.NewConstruct(scope, &id)
	name := p.Project.EndpointName(p.Stage)
	role := newModelRole(c, p, name)
	model, groups := newModel(c, p, role)
	config := newEndpointConfig(c, p, model)
	alarms := newRollbackAlarms(c, p, name, role)
	endpoint := awssagemaker.NewCfnEndpoint(c, jsii.String("Endpoint"), &awssagemaker.CfnEndpointProps{
		EndpointName:       jsii.String(name),
		EndpointConfigName: config.AttrEndpointConfigName(),
		DeploymentConfig:   deploymentConfig(*p.Deployment, alarms),
	})
	if p.Instance != nil && p.Instance.Autoscaling != nil {
		addAutoscaling(c, endpoint, name, p.Instance.Autoscaling)
	}
	if p.TesterRoleArn != "" {
		addTesterRole(c, p, name)
	}
	return &Endpoint{Construct: c, Name: name, Role: role, Model: model, Config: config, Resource: endpoint, RollbackAlarms: alarms, SecurityGroupIDs: groups}
}

// newModelRole creates the model's execution role: it reads the model artifacts,
// writes captured data and its endpoint's logs and metrics.
func newModelRole(c constructs.Construct, p EndpointProps, name string) awsiam.Role {
	role := awsiam.NewRole(c, jsii.String("ModelRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil),
		Description: jsii.String("Execution role of the " + string(p.Stage) + " model of SageMaker project " + p.Project.NameID()),
		Path:        jsii.String(p.Project.ModelRolePath()),
	})
	p.Artifacts.GrantRead(role, p.ModelArtifactsPrefix)
	objects := []string{nag.Resource(role, p.Artifacts.ObjectsArn(p.ModelArtifactsPrefix))}
	if p.DataCapture != nil {
		p.Artifacts.GrantWrite(role, p.DataCapture.Prefix+"/")
		objects = append(objects, nag.Resource(role, p.Artifacts.ObjectsArn(p.DataCapture.Prefix+"/")))
	}
	grantHosting(role, awscdk.Stack_Of(c), name)
	nag.Suppress(role, nag.Rule{
		ID:                "AwsSolutions-IAM5",
		Reason:            "The model reads its artifacts and writes captured data under generated keys of the project's own bucket, uses the project's key (found by its alias, as its id is unknown before deployment) and writes its own endpoint's log streams.",
		AppliesTo:         objects,
		AppliesToPatterns: []string{nag.ArnPattern("kms", "key/*"), nag.ArnPattern("logs", "log-group:/aws/sagemaker/Endpoints/"+nag.Text(role, name)+":*")},
	})
	return role
}

// newModel creates the model of the version to serve, once its role can read the
// artifacts, and returns it with its security groups (nil outside a VPC).
func newModel(c constructs.Construct, p EndpointProps, role awsiam.Role) (awssagemaker.CfnModel, []*string) {
	props := &awssagemaker.CfnModelProps{
		ExecutionRoleArn: role.RoleArn(),
		PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{ModelPackageName: p.ModelPackageArn},
	}
	if p.Instance != nil && !p.Instance.NetworkAccess {
		props.EnableNetworkIsolation = jsii.Bool(true)
	}
	var groups []*string
	if p.Network.IsSet() {
		groups = network.SecurityGroupIDs(c, "SecurityGroup", p.Network, "Model instances of SageMaker endpoint "+p.Project.EndpointName(p.Stage))
		props.VpcConfig = &awssagemaker.CfnModel_VpcConfigProperty{Subnets: jsii.Strings(p.Network.SubnetIDs...), SecurityGroupIds: &groups}
		network.GrantNetworkInterfaces(role, p.Network, groups)
		network.SuppressNetworkInterfaceFindings(role)
	}
	model := awssagemaker.NewCfnModel(c, jsii.String("Model"), props)
	if policy := role.Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
		model.Node().AddDependency(policy)
	}
	if !p.Network.IsSet() {
		// Outside a VPC (EndpointProps.Network, keys vpc.*); the reason's words are the
		// ones templates had before the VPC keys, which leave them unchanged.
		nag.Suppress(model, nag.Rule{
			ID:     "AwsSolutions-SM1",
			Reason: "The project creates no VPC: SageMaker hosts the model container in its managed network, and the model reads only the project's bucket.",
		})
	}
	return model, groups
}

// newEndpointConfig creates the endpoint config: one variant, on instances (their
// storage encrypted unless the hardware does it) or serverless, and the data capture.
func newEndpointConfig(c constructs.Construct, p EndpointProps, model awssagemaker.CfnModel) awssagemaker.CfnEndpointConfig {
	variant := &awssagemaker.CfnEndpointConfig_ProductionVariantProperty{
		VariantName:          jsii.String(VariantName),
		ModelName:            model.AttrModelName(),
		InitialVariantWeight: jsii.Number(1),
	}
	props := &awssagemaker.CfnEndpointConfigProps{ProductionVariants: &[]interface{}{variant}, DataCaptureConfig: dataCapture(p)}
	if p.Serverless != nil {
		variant.ServerlessConfig = &awssagemaker.CfnEndpointConfig_ServerlessConfigProperty{
			MemorySizeInMb: jsii.Number(float64(p.Serverless.MemorySizeMiB)),
			MaxConcurrency: jsii.Number(float64(p.Serverless.MaxConcurrency)),
		}
	} else {
		variant.InstanceType = jsii.String(p.Instance.InstanceType)
		variant.InitialInstanceCount = jsii.Number(float64(p.Instance.InitialInstanceCount))
		if !HasInstanceStorage(p.Instance.InstanceType) {
			props.KmsKeyId = p.Artifacts.KeyArn()
			if p.StorageKey != nil {
				props.KmsKeyId = p.StorageKey.KeyArn()
			}
		}
	}
	config := awssagemaker.NewCfnEndpointConfig(c, jsii.String("Config"), props)
	switch {
	case p.Serverless != nil:
		nag.Suppress(config, nag.Rule{
			ID:     "AwsSolutions-SM2",
			Reason: "Serverless endpoints have no instance storage volume to encrypt, and SageMaker rejects a KmsKeyId for them.",
		})
	case props.KmsKeyId == nil:
		nag.Suppress(config, nag.Rule{
			ID:     "AwsSolutions-SM2",
			Reason: "Instances of type " + p.Instance.InstanceType + " keep their data on NVMe instance storage, which the hardware encrypts, and SageMaker rejects a KmsKeyId for them.",
		})
	}
	return config
}

// dataCapture is the endpoint config's capture of requests and responses, nil when
// nothing is captured.
func dataCapture(p EndpointProps) *awssagemaker.CfnEndpointConfig_DataCaptureConfigProperty {
	if p.DataCapture == nil {
		return nil
	}
	return &awssagemaker.CfnEndpointConfig_DataCaptureConfigProperty{
		EnableCapture:             jsii.Bool(true),
		InitialSamplingPercentage: jsii.Number(float64(p.DataCapture.SamplingPercentage)),
		DestinationS3Uri:          jsii.String("s3://" + *p.Artifacts.BucketName() + "/" + p.DataCapture.Prefix),
		KmsKeyId:                  p.Artifacts.KeyArn(),
		CaptureOptions: &[]interface{}{
			&awssagemaker.CfnEndpointConfig_CaptureOptionProperty{CaptureMode: jsii.String("Input")},
			&awssagemaker.CfnEndpointConfig_CaptureOptionProperty{CaptureMode: jsii.String("Output")},
		},
		CaptureContentTypeHeader: &awssagemaker.CfnEndpointConfig_CaptureContentTypeHeaderProperty{
			CsvContentTypes: jsii.Strings("text/csv"),
		},
	}
}

// grantHosting lets the model role write its endpoint's logs and metrics.
func grantHosting(role awsiam.Role, stack awscdk.Stack, endpointName string) {
	logGroup := "/aws/sagemaker/Endpoints/" + endpointName
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("EndpointLogs"),
		Actions: jsii.Strings("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
		Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"),
			ResourceName: jsii.String(logGroup + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
	}))
	metrics := awsiam.NewPolicy(role, jsii.String("MetricsPolicy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("EndpointMetrics"),
			Actions:    jsii.Strings("cloudwatch:PutMetricData"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]interface{}{"StringLike": map[string]interface{}{"cloudwatch:namespace": "/aws/sagemaker/Endpoints*"}},
		})},
	})
	nag.Suppress(metrics, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "cloudwatch:PutMetricData supports no resource-level permissions; it is limited to SageMaker's endpoint namespaces by condition.",
		AppliesTo: []string{"Resource::*"},
	})
}

// addTesterRole lets the test gate's role in another account describe and invoke the
// endpoint, and nothing else.
func addTesterRole(scope constructs.Construct, p EndpointProps, name string) {
	account := testerRoleArn.FindStringSubmatch(p.TesterRoleArn)[1]
	tester := awsiam.NewRole(scope, jsii.String("TesterRole"), &awsiam.RoleProps{
		RoleName: jsii.String(p.Project.TesterRoleName(p.Stage)),
		AssumedBy: awsiam.NewAccountPrincipal(jsii.String(account)).WithConditions(&map[string]interface{}{
			"ArnEquals": map[string]interface{}{"aws:PrincipalArn": p.TesterRoleArn},
		}),
		Description: jsii.String("Lets the test gate of SageMaker project " + p.Project.NameID() + " invoke " + name),
	})
	tester.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeEndpoint"),
		Actions:   jsii.Strings("sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"),
		Resources: &[]*string{p.Project.SageMakerArn(scope, "endpoint", "-"+string(p.Stage))},
	}))
}

func addAutoscaling(scope constructs.Construct, endpoint awssagemaker.CfnEndpoint, name string, a *Autoscaling) {
	resourceID := "endpoint/" + name + "/variant/" + VariantName
	target := awsapplicationautoscaling.NewCfnScalableTarget(scope, jsii.String("ScalableTarget"), &awsapplicationautoscaling.CfnScalableTargetProps{
		ServiceNamespace:  jsii.String("sagemaker"),
		ResourceId:        jsii.String(resourceID),
		ScalableDimension: jsii.String("sagemaker:variant:DesiredInstanceCount"),
		MinCapacity:       jsii.Number(float64(a.MinCapacity)),
		MaxCapacity:       jsii.Number(float64(a.MaxCapacity)),
	})
	target.AddResourceDependency(endpoint, jsii.String("Application Auto Scaling registers a variant of an existing endpoint"))
	awsapplicationautoscaling.NewCfnScalingPolicy(scope, jsii.String("ScalingPolicy"), &awsapplicationautoscaling.CfnScalingPolicyProps{
		PolicyName:      jsii.String(name + "-invocations"),
		PolicyType:      jsii.String("TargetTrackingScaling"),
		ScalingTargetId: target.Ref(),
		TargetTrackingScalingPolicyConfiguration: &awsapplicationautoscaling.CfnScalingPolicy_TargetTrackingScalingPolicyConfigurationProperty{
			TargetValue:      jsii.Number(float64(a.TargetInvocationsPerInstance)),
			ScaleInCooldown:  jsii.Number(300),
			ScaleOutCooldown: jsii.Number(60),
			PredefinedMetricSpecification: &awsapplicationautoscaling.CfnScalingPolicy_PredefinedMetricSpecificationProperty{
				PredefinedMetricType: jsii.String("SageMakerVariantInvocationsPerInstance"),
			},
		},
	})
}

// normalize returns a copy of props with defaults applied.
func normalize(props *EndpointProps) EndpointProps {
	p := *props
	if p.Serverless == nil && p.Instance == nil {
		p.Instance = &InstanceHosting{}
	}
	if p.Instance != nil {
		i := *p.Instance
		if i.InstanceType == "" {
			i.InstanceType = DefaultInstanceType
		}
		if i.InitialInstanceCount == 0 {
			i.InitialInstanceCount = DefaultInstanceCount
		}
		if i.Autoscaling != nil {
			a := *i.Autoscaling
			if a.TargetInvocationsPerInstance == 0 {
				a.TargetInvocationsPerInstance = DefaultTargetInvocationsPerInstance
			}
			i.Autoscaling = &a
		}
		p.Instance = &i
	}
	if p.Serverless != nil {
		s := *p.Serverless
		if s.MemorySizeMiB == 0 {
			s.MemorySizeMiB = DefaultServerlessMemorySizeMiB
		}
		if s.MaxConcurrency == 0 {
			s.MaxConcurrency = DefaultServerlessMaxConcurrency
		}
		p.Serverless = &s
	}
	if p.DataCapture != nil {
		d := *p.DataCapture
		if d.Prefix == "" {
			d.Prefix = DefaultCapturePrefix(p.Stage)
		}
		p.DataCapture = &d
	}
	d := DefaultDeployment()
	if p.Deployment != nil {
		d = *p.Deployment
	}
	if len(d.Check(p.fleet())) == 0 {
		d = d.withDefaults(p.fleet())
	}
	p.Deployment = &d
	return p
}

// fleet is the range of instances the endpoint's variant may have.
func (p EndpointProps) fleet() Fleet {
	if p.Instance == nil {
		return Fleet{Serverless: true}
	}
	if a := p.Instance.Autoscaling; a != nil {
		return Fleet{Fewest: a.MinCapacity, Most: a.MaxCapacity, InstanceType: p.Instance.InstanceType}
	}
	return Fleet{Fewest: p.Instance.InitialInstanceCount, Most: p.Instance.InitialInstanceCount, InstanceType: p.Instance.InstanceType}
}

// validate reports every invalid or inconsistent prop, naming it.
func (p EndpointProps) validate() error {
	var problems []string
	add := func(field string, value any, err error) {
		if err != nil {
			problems = append(problems, fmt.Sprintf("EndpointProps.%s %v: %v", field, value, err))
		}
	}
	add("Project", p.Project.NameID(), p.Project.Validate())
	add("Stage", fmt.Sprintf("%q", p.Stage), p.Stage.Check())
	if p.Project.Validate() == nil && p.Stage.Check() == nil {
		add("Stage", fmt.Sprintf("%q", p.Stage), CheckEndpointName(p.Project.Longest().EndpointName(p.Stage)))
	}
	if p.ModelPackageArn == nil || *p.ModelPackageArn == "" {
		problems = append(problems, "EndpointProps.ModelPackageArn is required")
	}
	if p.Artifacts == nil {
		problems = append(problems, "EndpointProps.Artifacts is required")
	}
	if p.TesterRoleArn != "" && !testerRoleArn.MatchString(p.TesterRoleArn) {
		problems = append(problems, fmt.Sprintf("EndpointProps.TesterRoleArn %q: must be an IAM role ARN, arn:<partition>:iam::<account>:role/<name>", p.TesterRoleArn))
	}
	if p.Instance != nil && p.Serverless != nil {
		problems = append(problems, "EndpointProps.Instance and EndpointProps.Serverless are both set: choose instance or serverless hosting")
	}
	if err := p.Network.Check(); err != nil {
		problems = append(problems, "EndpointProps.Network: "+err.Error())
	}
	if p.Serverless != nil && p.Network.IsSet() {
		problems = append(problems, fmt.Sprintf("EndpointProps.Network %q is set with Serverless hosting: SageMaker serverless endpoints do not run in a VPC; remove Network or use Instance hosting", p.Network.VpcID))
	}
	if p.Serverless != nil {
		add("Serverless.MemorySizeMiB", p.Serverless.MemorySizeMiB, CheckServerlessMemory(p.Serverless.MemorySizeMiB))
		add("Serverless.MaxConcurrency", p.Serverless.MaxConcurrency, CheckServerlessConcurrency(p.Serverless.MaxConcurrency))
		if p.DataCapture != nil {
			problems = append(problems, "EndpointProps.DataCapture is set with Serverless hosting: SageMaker serverless endpoints cannot capture data; remove DataCapture or use Instance hosting")
		}
	}
	if i := p.Instance; i != nil {
		add("Instance.InstanceType", fmt.Sprintf("%q", i.InstanceType), CheckInstanceType(i.InstanceType))
		add("Instance.InitialInstanceCount", i.InitialInstanceCount, CheckInstanceCount(i.InitialInstanceCount))
		if a := i.Autoscaling; a != nil {
			if a.MaxCapacity == 0 {
				problems = append(problems, "EndpointProps.Instance.Autoscaling.MaxCapacity is required when Autoscaling is set")
			}
			add("Instance.Autoscaling", fmt.Sprintf("%+v", *a), CheckAutoscaling(i.InitialInstanceCount, a.MinCapacity, a.MaxCapacity, a.TargetInvocationsPerInstance))
		}
	}
	if d := p.DataCapture; d != nil {
		add("DataCapture.SamplingPercentage", d.SamplingPercentage, CheckSamplingPercentage(d.SamplingPercentage))
		add("DataCapture.Prefix", fmt.Sprintf("%q", d.Prefix), CheckCapturePrefix(d.Prefix))
	}
	for _, e := range p.Deployment.Check(p.fleet()) {
		add("Deployment."+e.Field, e.Value, e.Err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid endpoint %q:\n  %s", p.Stage, strings.Join(problems, "\n  "))
	}
	return nil
}
