// Package config is the typed configuration of the app: everything a user sets, read
// from CDK context (cdk.json and `-c key=value` overrides), with defaults that make a
// bare `cdk synth` work, and validated before any construct exists.
//
// Keys are flat, with dots for nesting (`modelBuild.branch`), so that every field can be
// overridden on the command line. Values from cdk.json may be JSON strings, numbers or
// booleans; values from `-c` are always strings. Both are accepted.
package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/internal/gitrules"
)

// RemovalPolicy says what a stack deletion does to the data users keep.
type RemovalPolicy string

const (
	// Retain keeps the artifact bucket and the model registry when the stack is deleted.
	Retain RemovalPolicy = "retain"
	// Destroy deletes them, emptying the bucket first; for sandboxes only.
	Destroy RemovalPolicy = "destroy"
)

// Config holds every setting of the app. Build it with Parse or Default; the zero value
// is not valid.
type Config struct {
	// Project is the project identity (keys `projectName`, `projectId`).
	Project project.Identity
	// Account and Region pin the project stack to an environment (keys `account`,
	// `region`). Empty means environment-agnostic: the stack deploys wherever the CDK CLI
	// credentials point, and synthesis never depends on who runs it.
	Account string
	Region  string
	// RemovalPolicy decides whether the artifact bucket and the model registry survive a
	// stack deletion (key `removalPolicy`).
	RemovalPolicy RemovalPolicy
	// LogRetentionDays bounds how long build logs are kept (key `logRetentionDays`).
	LogRetentionDays int
	// NoncurrentVersionExpirationDays is how long the artifact bucket keeps overwritten
	// object versions (key `artifactNoncurrentVersionExpirationDays`).
	NoncurrentVersionExpirationDays int
	// ProcessingInstanceType and TrainingInstanceType are the defaults of the SageMaker
	// pipeline's instance-type parameters, written into the ModelBuild repository's
	// pipeline.py when it is seeded (keys `processingInstanceType`,
	// `trainingInstanceType`).
	ProcessingInstanceType string
	TrainingInstanceType   string
	// ModelBuild is where the ModelBuild code lives (keys `modelBuild.*`).
	ModelBuild Repository
	// ModelDeploy is where the ModelDeploy code lives (keys `modelDeploy.*`).
	ModelDeploy Repository
	// Staging and Prod are the deployment stages (keys `staging.*`, `prod.*`).
	Staging Stage
	Prod    Stage
	// ModelPackageArn is the model version the app's own endpoint stacks serve (key
	// `modelPackageArn`). Empty means they take it as the CloudFormation parameter
	// ModelPackageArn. The deploy pipeline always passes the newest approved version.
	ModelPackageArn string
	// TestGate configures the staging test gate (keys `testGate.*`).
	TestGate TestGate
	// BootstrapQualifier is the CDK bootstrap qualifier of the stage accounts, whose
	// deploy and CloudFormation execution roles deploy the endpoint stacks there (key
	// `bootstrapQualifier`).
	BootstrapQualifier string
	// RequireSeparateStageAccounts demands that staging and prod each have an account
	// of their own, different from the project's and from each other (key
	// `requireSeparateStageAccounts`).
	RequireSeparateStageAccounts bool
	// Studio configures the SageMaker project templates published for SageMaker
	// Studio (keys `studio.*`).
	Studio Studio
	// NotificationEmails subscribe to the project's notification topic (key
	// `notifications.emails`, addresses separated by commas). Empty subscribes no one.
	NotificationEmails []string
	// Network is the VPC of the project's account that its builds, functions, the
	// SageMaker pipeline's jobs and the endpoints of the stages there run in (keys
	// `vpc.id`, `vpc.subnetIds`, `vpc.securityGroupIds`, ids separated by commas).
	// Empty: AWS-managed networking.
	Network network.Placement
	// GoProxy and PipIndexURL are the mirrors the builds download Go modules and
	// Python packages from (keys `build.goProxy`, GOPROXY's syntax, and
	// `build.pipIndexUrl`), for subnets without a route to the public registries.
	// Empty: the public ones.
	GoProxy, PipIndexURL string
}

// Studio configures the project templates that data scientists create projects from
// in SageMaker Studio.
type Studio struct {
	// Enabled synthesizes the templates and the stack that publishes them (key
	// `studio.enabled`). Off by default: the publication is the account's and region's,
	// not a project's (a stack and a bucket of fixed names), for a platform
	// administrator to deploy once, not for every `cdk deploy --all` of a project. The
	// templates keep every stage in the project's account.
	Enabled bool
	// DomainID is a SageMaker domain to tag with the templates' location, so that its
	// Studio lists them (key `studio.domainId`). Empty leaves the domain to the
	// administrator.
	DomainID string
}

// Hosting is how an endpoint runs its model.
type Hosting string

const (
	// Instances hosts on provisioned instances.
	Instances Hosting = "instance"
	// Serverless hosts on serverless capacity that scales to zero.
	Serverless Hosting = "serverless"
)

// Stage configures one deployment stage's endpoint.
type Stage struct {
	// Account and Region are where the stage's endpoint stack deploys (keys
	// `<stage>.account`, `<stage>.region`). Empty means the project's own; a stage in
	// another account or region needs the project's account and region set.
	Account string
	Region  string
	// Hosting is instance or serverless (key `<stage>.hosting`).
	Hosting Hosting
	// InstanceType and InstanceCount size instance hosting (keys
	// `<stage>.instanceType`, `<stage>.instanceCount`).
	InstanceType  string
	InstanceCount int
	// AutoscalingMinCapacity, AutoscalingMaxCapacity and
	// AutoscalingTargetInvocations configure target tracking on invocations per
	// instance; a maximum of 0 turns autoscaling off (keys
	// `<stage>.autoscaling.minCapacity`, `.maxCapacity`,
	// `.targetInvocationsPerInstance`).
	AutoscalingMinCapacity       int
	AutoscalingMaxCapacity       int
	AutoscalingTargetInvocations int
	// ServerlessMemorySizeMiB and ServerlessMaxConcurrency size serverless hosting
	// (keys `<stage>.serverless.memorySizeMiB`, `.maxConcurrency`).
	ServerlessMemorySizeMiB  int
	ServerlessMaxConcurrency int
	// DataCapture turns request and response capture on (key
	// `<stage>.dataCapture.enabled`), sampling DataCaptureSamplingPercentage percent
	// of requests (key `.samplingPercentage`) into the artifact bucket under
	// DataCapturePrefix (key `.prefix`, default `datacapture-<stage>`).
	DataCapture                   bool
	DataCaptureSamplingPercentage int
	DataCapturePrefix             string
	// Deployment is how SageMaker updates the stage's endpoint to a new version: keys
	// `<stage>.deployment.<field>`, each named after its endpoint.Deployment field
	// (`strategy`, `canaryInstances`, `linearStepInstances`, `bakeSeconds`,
	// `terminationWaitSeconds`, `maxExecutionSeconds`, `alarm5xxErrors`,
	// `alarmModelLatencyMs`).
	Deployment endpoint.Deployment
	// Monitoring is the data-quality monitoring of the stage's endpoint against the
	// baseline of the version it serves: keys `<stage>.monitoring.enabled` (default:
	// on where data capture is on), `.schedule` (default hourly), `.instanceType` and
	// `.maxRuntimeSeconds`.
	Monitoring Monitoring
	// Network is the VPC the stage's endpoint runs in (keys `<stage>.vpc.id`,
	// `.subnetIds`, `.securityGroupIds`; app keys only, not in the ModelDeploy
	// repository's stage files: the network is the project's). Default: the
	// project's Network for a stage in the project's account; a stage in another
	// account needs its own when the project has one. Parse fills in the default.
	Network network.Placement
	// NetworkIsolation runs the endpoint's model container without network access
	// (key `<stage>.networkIsolation`; default: on for instance hosting, off for
	// serverless endpoints, which do not support it). Turn it off for a model whose
	// container must call out, e.g. to download weights or reach a feature store.
	NetworkIsolation bool
}

// Monitoring configures the data-quality monitoring of a stage's endpoint (see
// package monitoring).
type Monitoring struct {
	Enabled           bool
	Schedule          string
	InstanceType      string
	MaxRuntimeSeconds int
}

// TestGate configures the staging test gate.
type TestGate struct {
	// Invocations is how many times the gate invokes the staging endpoint, at least 20
	// (key `testGate.invocations`).
	Invocations int
	// P95LatencyMs is the latency budget the 95th percentile of invocations must meet,
	// in milliseconds (key `testGate.p95LatencyMs`).
	P95LatencyMs int
}

// SourceKind is where a repository lives.
type SourceKind string

const (
	// CodeCommit is an AWS CodeCommit repository the stack creates.
	CodeCommit SourceKind = "codecommit"
	// Connection is an existing GitHub, GitLab or Bitbucket repository reached through an
	// AWS CodeConnections connection.
	Connection SourceKind = "connection"
)

// Repository says where one of the project's repositories lives (keys
// `modelBuild.*` and `modelDeploy.*`).
type Repository struct {
	// Source is codecommit or connection (key `<repo>.source`).
	Source SourceKind
	// ConnectionArn is the CodeConnections connection, in either ARN form
	// (`codestar-connections` or `codeconnections`); connection only (key
	// `<repo>.connectionArn`).
	ConnectionArn string
	// FullName is the repository's full name, `owner/repo` (GitLab groups may nest);
	// connection only (key `<repo>.repository`).
	FullName string
	// URL is the repository's HTTPS clone URL that SageMaker Studio shows; connection
	// only (key `<repo>.url`). Default: `https://github.com/<FullName>.git`.
	URL string
	// Branch is the branch whose pushes start the pipeline (key `<repo>.branch`).
	Branch string
	// SeedCode puts the sample code in the repository (key `<repo>.seedCode`): a
	// CodeCommit repository starts with it; an existing repository receives it as one
	// commit on the branch when the stack is created.
	SeedCode bool
}

// CloneURL is the repository's HTTPS clone URL for a connection repository.
func (r Repository) CloneURL() string {
	if r.URL != "" {
		return r.URL
	}
	return gitrules.DefaultCloneURL(r.FullName)
}

// Default returns the configuration of a bare synth: the demo project `abalone` with the
// fixed id `p-abalonedemo1`, everything retained, CodeCommit repositories on `main`,
// the original template's staging and prod endpoints.
func Default() Config {
	return Config{
		Project:                         project.Identity{Name: "abalone", ID: "p-abalonedemo1"},
		RemovalPolicy:                   Retain,
		LogRetentionDays:                90,
		NoncurrentVersionExpirationDays: 90,
		ProcessingInstanceType:          "ml.m5.xlarge",
		TrainingInstanceType:            "ml.m5.xlarge",
		ModelBuild:                      Repository{Source: CodeCommit, Branch: "main", SeedCode: true},
		ModelDeploy:                     Repository{Source: CodeCommit, Branch: "main", SeedCode: true},
		Staging:                         DefaultStage(project.Staging),
		Prod:                            DefaultStage(project.Prod),
		TestGate:                        TestGate{Invocations: deploybuild.MinTestInvocations, P95LatencyMs: deploybuild.DefaultTestP95LatencyMs},
		BootstrapQualifier:              deploybuild.DefaultBootstrapQualifier,
	}
}

// DefaultStage is the original template's endpoint of a stage: one ml.m5.large
// instance, capturing 100% of requests in staging and 80% in prod, into
// `datacapture-<stage>`; updated with endpoint.DefaultDeployment's guardrails, except
// that staging does not bake: the test gate runs on the new fleet right after the
// update and decides, and a bake would only delay it.
func DefaultStage(name project.Stage) Stage {
	sampling, deployment := 100, endpoint.DefaultDeployment()
	if name == project.Prod {
		sampling = 80
	} else {
		deployment.BakeSeconds = 0
	}
	return Stage{
		Hosting:                       Instances,
		InstanceType:                  endpoint.DefaultInstanceType,
		InstanceCount:                 endpoint.DefaultInstanceCount,
		AutoscalingMinCapacity:        endpoint.DefaultInstanceCount,
		AutoscalingTargetInvocations:  endpoint.DefaultTargetInvocationsPerInstance,
		ServerlessMemorySizeMiB:       endpoint.DefaultServerlessMemorySizeMiB,
		ServerlessMaxConcurrency:      endpoint.DefaultServerlessMaxConcurrency,
		DataCapture:                   true,
		DataCaptureSamplingPercentage: sampling,
		DataCapturePrefix:             endpoint.DefaultCapturePrefix(name),
		Deployment:                    deployment,
		Monitoring: Monitoring{
			Enabled:           true,
			Schedule:          monitoring.DefaultSchedule,
			InstanceType:      monitoring.DefaultInstanceType,
			MaxRuntimeSeconds: monitoring.DefaultMaxRuntimeSeconds,
		},
		NetworkIsolation: true,
	}
}

// Parse reads the configuration from a CDK context map, applies defaults for missing
// keys and validates the result. Keys this package does not know are rejected, except
// CDK's own (those starting with `@` or containing `:`), so a typo never goes unnoticed.
// The error lists every problem, one per line, each naming the key, the value and what
// is allowed.
func Parse(context map[string]any) (Config, error) {
	cfg := Default()
	var problems []string
	keys := make([]string, 0, len(context))
	for key := range context {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		f, known := fieldsByKey[key]
		if !known {
			if !isCDKKey(key) {
				problems = append(problems, fmt.Sprintf("%s is not a known setting: use one of %s", key, strings.Join(Keys(), ", ")))
			}
			continue
		}
		raw, err := scalar(context[key])
		if err == nil {
			err = f.set(&cfg, raw)
		}
		if err == nil {
			err = f.check(cfg)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %q is invalid: %v", key, fmt.Sprint(context[key]), err))
		}
	}
	for _, name := range project.PipelineStages() {
		if _, set := context[string(name)+".monitoring.enabled"]; !set && !cfg.Stage(name).DataCapture {
			// Monitoring reads captured data: on by default where data capture is on.
			cfg.stage(name).Monitoring.Enabled = false
		}
		if _, set := context[string(name)+".networkIsolation"]; !set && cfg.Stage(name).Hosting == Serverless {
			// Serverless endpoints run no isolated containers.
			cfg.stage(name).NetworkIsolation = false
		}
	}
	if len(problems) == 0 {
		problems = append(problems, cfg.crossFieldProblems()...)
	}
	if len(problems) > 0 {
		return Config{}, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	for _, name := range project.PipelineStages() {
		cfg.stage(name).Network = cfg.StageNetwork(name)
	}
	return cfg, nil
}

// Validate checks a configuration built in code (not parsed) with the same rules as
// Parse.
func (c Config) Validate() error {
	var problems []string
	for _, f := range fields {
		if err := f.check(c); err != nil {
			problems = append(problems, fmt.Sprintf("%s %q is invalid: %v", f.key, f.get(c), err))
		}
	}
	problems = append(problems, c.crossFieldProblems()...)
	if len(problems) > 0 {
		return errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return nil
}

// LogRetention is LogRetentionDays as the CDK's retention value.
func (c Config) LogRetention() awslogs.RetentionDays { return logRetentions[c.LogRetentionDays] }

// crossFieldProblems reports rules that involve more than one key.
func (c Config) crossFieldProblems() []string {
	var problems []string
	if (c.Account == "") != (c.Region == "") {
		problems = append(problems, fmt.Sprintf("account %q and region %q must be set together or not at all", c.Account, c.Region))
	}
	for _, name := range project.PipelineStages() {
		problems = append(problems, c.Stage(name).problems(name, c.Project)...)
	}
	problems = append(problems, c.accountProblems()...)
	problems = append(problems, c.networkProblems()...)
	problems = append(problems, c.studioProblems()...)
	problems = append(problems, c.ModelBuild.problems("modelBuild")...)
	problems = append(problems, c.ModelDeploy.problems("modelDeploy")...)
	return problems
}

// networkProblems checks each VPC placement's keys together, and that every endpoint
// of a project in a VPC is in one.
func (c Config) networkProblems() []string {
	out := placementProblems("vpc", c.Network)
	for _, name := range project.PipelineStages() {
		st, key := c.Stage(name), string(name)+".vpc"
		out = append(out, placementProblems(key, st.Network)...)
		network := c.StageNetwork(name)
		if t := c.StageTarget(name); c.Network.IsSet() && !network.IsSet() {
			out = append(out, fmt.Sprintf("%s deploys to account %q, region %q, with vpc.id %q and no %s.id: this is invalid: the project runs in a VPC, and a stage elsewhere needs subnets of its own account and region: set %s.id and %s.subnetIds", name, t.Account, t.Region, c.Network.VpcID, key, key, key))
		}
		if network.IsSet() && st.Hosting == Serverless {
			out = append(out, fmt.Sprintf("%s.hosting %q in VPC %q (%s.id, or vpc.id for a stage in the project's account) is invalid: SageMaker serverless endpoints do not run in a VPC, and a project in one runs every endpoint there; use instance hosting", name, st.Hosting, network.VpcID, key))
		}
	}
	return out
}

// placementProblems checks the keys below key (`vpc` or `<stage>.vpc`) together:
// a VPC with its subnets, or nothing.
func placementProblems(key string, p network.Placement) []string {
	if !p.IsSet() {
		return nil
	}
	if p.VpcID == "" {
		return []string{fmt.Sprintf("%s.subnetIds %q and %s.securityGroupIds %q without %s.id are invalid: set %s.id to the VPC they belong to", key, strings.Join(p.SubnetIDs, ","), key, strings.Join(p.SecurityGroupIDs, ","), key, key)}
	}
	if err := network.CheckSubnetIDs(p.SubnetIDs); err != nil {
		return []string{fmt.Sprintf("%s.subnetIds %q is invalid: %v", key, strings.Join(p.SubnetIDs, ","), err)}
	}
	return nil
}

// StageNetwork is the VPC a stage's endpoint runs in: its own (`<stage>.vpc.*`), else
// the project's for a stage in the project's account and region, else none.
func (c Config) StageNetwork(name project.Stage) network.Placement {
	if own := c.Stage(name).Network; own.IsSet() {
		return own
	}
	if c.StageTarget(name).IsLocal() {
		return c.Network
	}
	return network.Placement{}
}

// Stage returns the settings of one of the deploy pipeline's stages. It panics for
// any other stage: the configuration has no settings for it.
func (c Config) Stage(name project.Stage) Stage {
	switch name {
	case project.Staging:
		return c.Staging
	case project.Prod:
		return c.Prod
	}
	panic(fmt.Sprintf("config: no settings for stage %q: the deploy pipeline's stages are %s and %s", name, project.Staging, project.Prod))
}

// stage is the settings of a stage to change.
func (c *Config) stage(name project.Stage) *Stage {
	if name == project.Prod {
		return &c.Prod
	}
	return &c.Staging
}

// StageTarget resolves where one of the deploy pipeline's stages deploys: its own
// account and region, each defaulting to the project's; each "" when it is the
// project's own (the environment-agnostic default). A stage that resolves to the
// project's own account and region is local.
func (c Config) StageTarget(name project.Stage) project.Target {
	st := c.Stage(name)
	account, region := st.Account, st.Region
	if account == "" {
		account = c.Account
	}
	if region == "" {
		region = c.Region
	}
	if account == c.Account && region == c.Region {
		return project.Target{}
	}
	return project.Target{Account: account, Region: region}
}

// StageAccounts returns the accounts other than the project's that stages deploy to,
// each once, sorted.
func (c Config) StageAccounts() []string {
	seen := map[string]bool{}
	var out []string
	for _, name := range project.PipelineStages() {
		a := c.StageTarget(name).Account
		if a != "" && a != c.Account && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// accountProblems reports the rules of multi-account and multi-region stages.
func (c Config) accountProblems() []string {
	var out []string
	for _, name := range project.PipelineStages() {
		st := c.Stage(name)
		if (st.Account != "" || st.Region != "") && c.Account == "" {
			out = append(out, fmt.Sprintf("%s.account %q / %s.region %q need the project's own account and region: set account and region too", name, st.Account, name, st.Region))
		}
		if st.Region != "" && c.Region != "" && st.Region != c.Region {
			out = append(out, fmt.Sprintf("%s.region %q differs from region %q: SageMaker creates a model only from a model package and artifacts in its own region, so a stage must deploy in the project's region (its account may differ)", name, st.Region, c.Region))
		}
	}
	if c.RequireSeparateStageAccounts {
		s, p := c.Staging.Account, c.Prod.Account
		switch {
		case s == "" || p == "":
			out = append(out, fmt.Sprintf("requireSeparateStageAccounts is true but staging.account %q or prod.account %q is not set: give each stage its own account", s, p))
		case s == p:
			out = append(out, fmt.Sprintf("staging.account %q equals prod.account while requireSeparateStageAccounts is true: give each stage its own account", s))
		case s == c.Account || p == c.Account:
			out = append(out, fmt.Sprintf("a stage account equals the project account %q while requireSeparateStageAccounts is true: deploy stages outside the tooling account", c.Account))
		}
	}
	return out
}

// studioProblems reports what the Studio templates do not support.
func (c Config) studioProblems() []string {
	if !c.Studio.Enabled {
		if c.Studio.DomainID != "" {
			return []string{fmt.Sprintf("studio.domainId %q is set while studio.enabled is false: the domain is tagged by the StudioTemplates stack, which only studio.enabled=true synthesizes; set studio.enabled to true, or leave studio.domainId unset", c.Studio.DomainID)}
		}
		return nil
	}
	var out []string
	for _, name := range project.PipelineStages() {
		if t := c.StageTarget(name); !t.IsLocal() {
			out = append(out, fmt.Sprintf("%s.account %q is another account than the project's while studio.enabled is true: the Studio templates deploy every stage in the project's own account; set studio.enabled to false, or leave %s.account unset", name, t.Account, name))
		}
	}
	return out
}

// isCDKKey tells the CDK's own context keys (feature flags, lookups, CLI settings)
// from this app's settings.
func isCDKKey(key string) bool {
	return strings.HasPrefix(key, "@") || strings.Contains(key, ":") || key == "acknowledged-issue-numbers"
}

// scalar turns a context value (a JSON string, number or boolean, or a `-c` string)
// into its string form.
func scalar(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return fmt.Sprint(t), nil
	case float64:
		if t == float64(int64(t)) {
			return fmt.Sprint(int64(t)), nil
		}
		return fmt.Sprint(t), nil
	case int, int64:
		return fmt.Sprint(t), nil
	default:
		return "", fmt.Errorf("must be a string, a number or a boolean, not %T", v)
	}
}
