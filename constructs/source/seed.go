package source

import (
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/internal/buildproject"
	"github.com/sagemaker-mlops-cdk/mlops/internal/cfnfix"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// RepositorySeedProps configures a RepositorySeed.
type RepositorySeedProps struct {
	// Repository is the existing repository to seed. Required.
	Repository *ConnectionRepository
	// Seed is the code to commit. Required.
	Seed SeedCode
	// SeedName names the seed in the commit's `Seeded-By` trailer, e.g. "modelbuild".
	// Required.
	SeedName string
	// BuildProjectName is the name of the CodeBuild project that pushes the seed.
	// Required.
	BuildProjectName string
	// Key encrypts the build's artifacts and logs. Required.
	Key awskms.IKey
	// LogRetention bounds how long the seeding logs are kept. Default: three months.
	LogRetention awslogs.RetentionDays
	// Timeout bounds the seeding, from the start of the build: past it the build is
	// stopped and the stack creation fails saying so. Default: 15 minutes.
	Timeout awscdk.Duration
	// Network is the VPC the seeding build and functions run in, with its security
	// groups (one with no inbound rule and outbound HTTPS only is created when it names
	// none). The build reaches the connection's git-http endpoint and the functions
	// CodeBuild and CloudWatch Logs through it. Default: none, AWS-managed networking.
	Network network.Placement
}

// RepositorySeed pushes the seed code to an existing repository, as one commit on its
// branch, when the stack is created. A CodeBuild project clones the branch through the
// connection's git-http endpoint and runs seed_repository.py (see its documentation for
// the rules: keep the user's files, seed once, never force-push); a custom resource
// starts that build and waits for it, reporting the build's own failure reason or its
// timeout in the stack's events. Stack updates and deletions leave the repository
// alone.
type RepositorySeed struct {
	constructs.Construct
	// BuildProject runs the seeding.
	BuildProject awscodebuild.Project
	// Resource is the custom resource; its attributes are Result (seeded,
	// already-seeded or nothing-to-add), Commit (the branch's tip once done), Added and
	// Kept (how many seed files were added, and kept out because the branch had its own).
	Resource  awscdk.CustomResource
	condition awscdk.CfnCondition
}

// OnlyIf makes the seeding conditional: CloudFormation creates its resources only when
// condition holds (for example a template parameter that switches the sample code on).
// A nil condition changes nothing. Call it before Precede.
func (s *RepositorySeed) OnlyIf(condition awscdk.CfnCondition) {
	if condition == nil {
		return
	}
	s.condition = condition
	for _, child := range *s.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if resource, ok := child.(awscdk.CfnResource); ok {
			resource.CfnOptions().SetCondition(condition)
		}
	}
}

// Precede makes pipeline wait for the seeding, since a pipeline runs once when it is
// created and must build the seeded branch. A conditional seeding cannot be a
// DependsOn (CloudFormation rejects one on a resource that may not exist): the
// pipeline then records the seed commit as its variable SeedCommit when the condition
// holds, which orders it after the seeding only then.
func (s *RepositorySeed) Precede(pipeline awscodepipeline.Pipeline) {
	if s.condition == nil {
		pipeline.Node().AddDependency(s.Resource)
		return
	}
	variable := map[string]any{
		"Name":         "SeedCommit",
		"DefaultValue": s.Resource.GetAttString(jsii.String("Commit")),
		"Description":  "The commit that seeded the branch when the project was created",
	}
	cfn := pipeline.Node().DefaultChild().(awscodepipeline.CfnPipeline)
	cfn.AddPropertyOverride(jsii.String("Variables"), awscdk.Fn_ConditionIf(s.condition.LogicalId(), []any{variable}, awscdk.Aws_NO_VALUE()))
}

// assetDir is a directory of this package's assets.
func assetDir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), name)
}

// NewRepositorySeed creates the seeding build, the handler and the custom resource. It
// panics when a required prop is missing.
func NewRepositorySeed(scope constructs.Construct, id string, props *RepositorySeedProps) *RepositorySeed {
	if props.Repository == nil || props.Seed == nil || props.SeedName == "" || props.BuildProjectName == "" || props.Key == nil {
		panic("RepositorySeedProps.Repository, Seed, SeedName, BuildProjectName and Key are required")
	}
	p := *props
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_THREE_MONTHS
	}
	if p.Timeout == nil {
		p.Timeout = awscdk.Duration_Minutes(jsii.Number(15))
	}
	if err := p.Network.Check(); err != nil {
		panic("RepositorySeedProps.Network: " + err.Error())
	}
	c := constructs.NewConstruct(scope, &id)
	var groups []*string
	if p.Network.IsSet() {
		groups = network.SecurityGroupIDs(c, "SecurityGroup", p.Network, "Seeding of "+p.Repository.FullName)
	}
	build := newSeedingBuild(c, &p, groups)
	handlerRole := newHandlerRole(c, &p, build)
	provider, handlers := newSeedingProvider(c, &p, handlerRole)
	placeFunctions(c, &p, groups, provider, handlerRole)
	resource := awscdk.NewCustomResource(c, jsii.String("Resource"), &awscdk.CustomResourceProps{
		ServiceToken: provider.ServiceToken(),
		ResourceType: jsii.String("Custom::SeedRepository"),
		Properties: &map[string]interface{}{
			"ProjectName":    build.ProjectName(),
			"TimeoutSeconds": strconv.Itoa(int(*p.Timeout.ToSeconds(nil))),
			"Repository":     p.Repository.FullName,
		},
	})
	suppressSeedingFindings(c, &p, build, provider, handlers)
	return &RepositorySeed{Construct: c, BuildProject: build, Resource: resource}
}

// newSeedingBuild creates the build that pushes the seed to the repository, with the
// seed and the seeding script as its sources.
func newSeedingBuild(c constructs.Construct, p *RepositorySeedProps, groups []*string) awscodebuild.Project {
	repo := p.Repository
	seed := NewSeedAsset(c, "SeedCode", p.Seed)
	seeder := awss3assets.NewAsset(c, jsii.String("Seeder"), &awss3assets.AssetProps{Path: jsii.String(assetDir("seeder"))})
	build := buildproject.NewWithSource(c, "Build", &buildproject.Props{
		Name:         p.BuildProjectName,
		Description:  "Pushes the " + p.SeedName + " seed code to " + repo.FullName + " once, when the project is created",
		Key:          p.Key,
		Timeout:      p.Timeout,
		LogRetention: p.LogRetention,
		BuildSpec: awscodebuild.BuildSpec_FromObject(&map[string]interface{}{
			"version": "0.2",
			"env":     map[string]interface{}{"exported-variables": []string{"SEED_RESULT", "SEED_COMMIT", "SEED_ADDED", "SEED_KEPT"}},
			"phases": map[string]interface{}{"install": map[string]interface{}{"runtime-versions": map[string]string{"python": "3.12"}}, "build": map[string]interface{}{"commands": []string{
				// The AWS CLI signs git's requests to the connection's git-http endpoint.
				"git config --global credential.helper '!aws codecommit credential-helper $@'",
				"git config --global credential.UseHttpPath true",
				`python3 "$CODEBUILD_SRC_DIR_seeder/seed_repository.py" --remote "$REMOTE_URL" --branch "$BRANCH" --seed-dir "$CODEBUILD_SRC_DIR" --seed-name "$SEED_NAME" --result-file /tmp/seed-result`,
				". /tmp/seed-result",
			}}},
		}),
		Environment: map[string]*string{
			"REMOTE_URL": jsii.String(repo.Connection.GitHTTPURL(repo.FullName)),
			"BRANCH":     jsii.String(repo.Branch()),
			"SEED_NAME":  jsii.String(p.SeedName),
		},
		Network:          p.Network,
		SecurityGroupIDs: groups,
	},
		awscodebuild.Source_S3(&awscodebuild.S3SourceProps{Bucket: seed.Bucket(), Path: seed.S3ObjectKey()}),
		awscodebuild.Source_S3(&awscodebuild.S3SourceProps{Identifier: jsii.String("seeder"), Bucket: seeder.Bucket(), Path: seeder.S3ObjectKey()}),
	)
	repo.GrantUseConnection(build)
	return build
}

// newHandlerRole creates the role of the custom resource's handlers: they start and
// follow the seeding build, and read the end of its log for the script's own failure
// line.
func newHandlerRole(c constructs.Construct, p *RepositorySeedProps, build awscodebuild.Project) awsiam.Role {
	role := awsiam.NewRole(c, jsii.String("HandlerRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Starts and follows the seeding build of " + p.Repository.FullName),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RunTheSeedingBuild"),
		Actions:   jsii.Strings("codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"),
		Resources: &[]*string{build.ProjectArn()},
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ReadTheSeedingLog"),
		Actions: jsii.Strings("logs:GetLogEvents"),
		Resources: &[]*string{awscdk.Stack_Of(c).FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("logs"),
			Resource:     jsii.String("log-group"),
			ResourceName: jsii.String("/aws/codebuild/" + p.BuildProjectName + ":log-stream:*"),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
	}))
	return role
}

// newSeedingProvider creates the handler functions and the CDK provider framework that
// calls them, each with a log group of bounded retention.
func newSeedingProvider(c constructs.Construct, p *RepositorySeedProps, role awsiam.Role) (customresources.Provider, []awslambda.Function) {
	code := awslambda.Code_FromAsset(jsii.String(assetDir("seedhandler")), nil)
	function := func(name, handler string) awslambda.Function {
		logs := awslogs.NewLogGroup(c, jsii.String(name+"Logs"), &awslogs.LogGroupProps{Retention: p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
		logs.GrantWrite(role)
		return awslambda.NewFunction(c, jsii.String(name), &awslambda.FunctionProps{
			Runtime:     awslambda.Runtime_PYTHON_3_14(),
			Handler:     jsii.String(handler),
			Code:        code,
			Role:        role,
			LogGroup:    logs,
			Timeout:     awscdk.Duration_Minutes(jsii.Number(1)),
			Description: jsii.String("Seeds " + p.Repository.FullName + ": " + handler),
		})
	}
	onEvent, isComplete := function("OnEvent", "handler.on_event"), function("IsComplete", "handler.is_complete")
	waiterLogs := awslogs.NewLogGroup(c, jsii.String("WaiterLogs"), &awslogs.LogGroupProps{Retention: p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	provider := customresources.NewProvider(c, jsii.String("Provider"), &customresources.ProviderProps{
		OnEventHandler:    onEvent,
		IsCompleteHandler: isComplete,
		QueryInterval:     awscdk.Duration_Seconds(jsii.Number(30)),
		// The handler enforces the seeding timeout itself and says so; the framework's
		// own bound only catches a handler that stops answering.
		TotalTimeout:                     awscdk.Duration_Minutes(jsii.Number(*p.Timeout.ToMinutes(nil) + 10)),
		LogGroup:                         awslogs.NewLogGroup(c, jsii.String("ProviderLogs"), &awslogs.LogGroupProps{Retention: p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY}),
		DisableWaiterStateMachineLogging: jsii.Bool(false),
		WaiterStateMachineLogOptions:     &customresources.LogOptions{Destination: waiterLogs, Level: awsstepfunctions.LogLevel_ALL},
	})
	// The framework's functions and waiter state machine have their roles as children.
	for _, child := range *provider.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		for _, name := range []string{"ServiceRole", "Role"} {
			if r, ok := child.Node().TryFindChild(jsii.String(name)).(awsiam.IRole); ok && child.Node().DefaultChild() != nil {
				cfnfix.RoleDependency(child, r)
			}
		}
	}
	cfnfix.RoleDependency(onEvent, role)
	cfnfix.RoleDependency(isComplete, role)
	return provider, []awslambda.Function{onEvent, isComplete}
}

// placeFunctions puts every function of the seeding (the handlers and the provider
// framework's) in the props' VPC with groups, once their roles may create network
// interfaces there.
func placeFunctions(c constructs.Construct, p *RepositorySeedProps, groups []*string, provider customresources.Provider, handlerRole awsiam.IRole) {
	if !p.Network.IsSet() {
		return
	}
	roles := []awsiam.IRole{handlerRole}
	for _, child := range *provider.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if r, ok := child.Node().TryFindChild(jsii.String("ServiceRole")).(awsiam.IRole); ok {
			roles = append(roles, r)
		}
	}
	policy := network.NewServicePolicy(c, "NetworkPolicy", network.Lambda, p.Network, roles...)
	for _, child := range *c.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if fn, ok := child.(awslambda.CfnFunction); ok {
			fn.SetVpcConfig(&awslambda.CfnFunction_VpcConfigProperty{SubnetIds: jsii.Strings(p.Network.SubnetIDs...), SecurityGroupIds: &groups})
			fn.Node().AddDependency(policy)
		}
	}
}

// suppressSeedingFindings explains the wildcards of CDK's grants to the seeding build
// and of the provider framework.
func suppressSeedingFindings(c constructs.Construct, p *RepositorySeedProps, build awscodebuild.Project, provider customresources.Provider, handlers []awslambda.Function) {
	if waiter := provider.Node().TryFindChild(jsii.String("waiter-state-machine")); waiter != nil {
		nag.Suppress(waiter, nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "The waiter state machine logs to CloudWatch Logs, whose log delivery actions support no resource-level permissions.",
			AppliesTo: []string{"Resource::*"},
		})
	}
	var invoked []string
	for _, f := range handlers {
		invoked = append(invoked, "Resource::"+nag.Attr(f, "Arn")+":*")
	}
	for _, name := range []string{"framework-isComplete", "framework-onTimeout"} {
		if f := provider.Node().TryFindChild(jsii.String(name)); f != nil {
			invoked = append(invoked, "Resource::"+nag.Attr(f, "Arn")+":*")
		}
	}
	nag.Suppress(c,
		nag.Rule{
			ID:     "AwsSolutions-IAM5",
			Reason: "CDK's standard grants let the seeding build read its source assets, use the project key and write its own log streams and report groups; the provider framework invokes exactly its handler functions, in any version; the handler reads the streams of the seeding build's own log group, named by build id.",
			AppliesTo: append([]string{
				"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*",
				"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*",
			}, invoked...),
			AppliesToPatterns: []string{
				nag.ArnPattern("codebuild", "report-group/"+nag.Ref(build)+"-*"),
				nag.ArnPattern("logs", "log-group:/aws/codebuild/"+nag.Ref(build)+":*"),
				nag.ArnPattern("logs", "log-group:/aws/codebuild/"+nag.Text(c, p.BuildProjectName)+":log-stream:*"),
			},
		},
		nag.Rule{
			ID:        "AwsSolutions-IAM4",
			Reason:    "The CDK provider framework's functions use AWSLambdaBasicExecutionRole to write their logs; the framework creates them and their roles.",
			AppliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
		},
		nag.Rule{ID: "AwsSolutions-SF2", Reason: "The provider framework's waiter state machine only polls the seeding build; X-Ray tracing would add cost without insight."},
	)
}
