package modeldeploy

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/internal/buildproject"
)

// buildTimeout bounds one build of either project.
func buildTimeout() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(30)) }

// newBuildProject creates the build that resolves the newest approved model version
// and synthesizes the endpoint stacks.
func newBuildProject(c constructs.Construct, s *settings) awscodebuild.PipelineProject {
	p := s.Project
	stack := awscdk.Stack_Of(c)
	env := deploybuild.Environment{
		Project:           p,
		ModelPackageGroup: *s.Registry.GroupName(),
		ArtifactBucket:    *s.Artifacts.BucketName(),
		Region:            *awscdk.Aws_REGION(),
		Elsewhere:         map[project.Stage]project.Target{},
		CapturePrefixes:   map[project.Stage]string{},
		Monitored:         map[project.Stage]bool{},
		Networks:          map[project.Stage]network.Placement{},
	}
	// The ModelDeploy app pins an endpoint stack to its stage's account and region
	// only when they are not the pipeline's; then the artifacts' are explicit too.
	for _, stage := range project.PipelineStages() {
		if n := s.network(stage); n.IsSet() {
			env.Networks[stage] = n
		}
		if t := s.target(stage); !t.IsLocal() {
			env.Elsewhere[stage] = t
			env.CapturePrefixes[stage] = s.capturePrefix(stage)
			env.Monitored[stage] = s.monitored(stage)
			env.ArtifactsAccount, env.ArtifactsRegion = *stack.Account(), *stack.Region()
			env.BootstrapQualifier = s.BootstrapQualifier
		}
	}
	if s.PermissionsBoundary != nil {
		env.PermissionsBoundaryArn = *s.PermissionsBoundary.ManagedPolicyArn()
	}
	name := p.ResourceName("modeldeploy")
	build := buildproject.New(c, "Build", &buildproject.Props{
		Name:         name,
		Description:  "Builds the endpoint stacks of the newest approved model version of project " + p.NameID(),
		Key:          s.Artifacts.Key(),
		Timeout:      buildTimeout(),
		LogRetention: s.LogRetention,
		BuildSpec:    awscodebuild.BuildSpec_FromSourceFilename(jsii.String(deploybuild.BuildSpecFile)),
		Environment:  buildVariables(s.withRegistries(withBuildStore(env.Variables(), s.Artifacts, name))),
		Network:      s.BuildNetwork, SecurityGroupIDs: s.buildGroups,
	})
	s.Registry.GrantRead(build)
	// What the build compiled and Go's caches; listing lets it tell a missing object
	// (compile) from one it may not read (fail).
	s.Artifacts.GrantReadWrite(build, storePrefix(name))
	s.Artifacts.GrantList(build, storePrefix(name))
	// The versions' data-quality baselines, which the ModelBuild pipeline writes under
	// the project's prefix: the build reads their features.
	s.Artifacts.GrantRead(build, p.ModelArtifactsPrefix())
	grantReadStageStacks(build, s)
	return build
}

// grantReadStageStacks lets the build read the endpoint stacks as they run, to decide
// whether an execution deploys: in the pipeline's account directly, in a stage's
// account through its CDK bootstrap lookup role (read-only).
func grantReadStageStacks(build awscodebuild.PipelineProject, s *settings) {
	stack := awscdk.Stack_Of(build)
	var local, lookup []*string
	for _, stage := range project.PipelineStages() {
		if t := s.target(stage); !t.IsLocal() {
			lookup = append(lookup, jsii.String(deploybuild.LookupRoleArn(*stack.Partition(), s.BootstrapQualifier, t)))
			continue
		}
		local = append(local, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(s.Project.DeployStackName(stage) + "/*"),
		}))
	}
	if len(local) > 0 {
		build.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadStageStacks"), Actions: jsii.Strings("cloudformation:DescribeStacks", "cloudformation:GetTemplate"), Resources: &local,
		}))
	}
	if len(lookup) > 0 {
		build.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadStageStacksElsewhere"), Actions: jsii.Strings("sts:AssumeRole"), Resources: &lookup,
		}))
	}
}

// newTestProject creates the test gate's build and its role, which has a known name:
// a staging account trusts exactly that role to assume the endpoint's tester role.
func newTestProject(c constructs.Construct, s *settings) awscodebuild.PipelineProject {
	p := s.Project
	gate := deploybuild.TestGate{
		Project:      p,
		Endpoint:     p.EndpointName(project.Staging),
		Invocations:  s.TestInvocations,
		P95LatencyMs: s.TestP95LatencyMs,
		Region:       *awscdk.Aws_REGION(),
	}
	role := awsiam.NewRole(c, jsii.String("TestRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(p.TestRoleName()),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("codebuild.amazonaws.com"), nil),
		Description: jsii.String("Runs the staging test gate of SageMaker project " + p.NameID()),
	})
	if s.staging.IsLocal() {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("InvokeStagingEndpoint"),
			Actions:   jsii.Strings("sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"),
			Resources: &[]*string{p.SageMakerArn(c, "endpoint", "-"+string(project.Staging))},
		}))
	} else {
		tester := awscdk.Stack_Of(c).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""), Account: jsii.String(s.staging.Account),
			Resource: jsii.String("role"), ResourceName: jsii.String(p.TesterRoleName(project.Staging)),
		})
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AssumeStagingTesterRole"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: &[]*string{tester},
		}))
		gate.RoleArn, gate.Region = *tester, s.staging.Region
	}
	name := p.ResourceName("testing")
	test := buildproject.New(c, "Test", &buildproject.Props{
		Name:         name,
		Description:  "Tests the staging endpoint " + gate.Endpoint + " of project " + p.NameID() + " before the production approval",
		Role:         role,
		Key:          s.Artifacts.Key(),
		Timeout:      buildTimeout(),
		LogRetention: s.LogRetention,
		BuildSpec:    awscodebuild.BuildSpec_FromSourceFilename(jsii.String(deploybuild.TestBuildSpecFile)),
		Environment:  buildVariables(gate.Variables()),
		Network:      s.BuildNetwork, SecurityGroupIDs: s.buildGroups,
	})
	return test
}

// storePrefix is where a build project keeps what it compiled and Go's caches in the
// artifact bucket.
func storePrefix(buildProject string) string { return artifacts.BuildCachePrefix + buildProject + "/" }

// withBuildStore is env with the places in a's bucket where the build keeps what it
// compiled, keyed by source, and Go's caches, keyed by go.sum, and with Go pointed at
// its caches in the build container.
func withBuildStore(env map[string]string, a artifacts.IArtifactStore, buildProject string) map[string]string {
	store := "s3://" + *a.BucketName() + "/" + storePrefix(buildProject)
	env[deploybuild.EnvBuildStore] = store + deploybuild.CompiledStore
	env[deploybuild.EnvGoCacheStore] = store + deploybuild.GoCacheStore
	env[deploybuild.EnvGoModCache] = deploybuild.GoModCache
	env[deploybuild.EnvGoBuildCache] = deploybuild.GoBuildCache
	return env
}

// withRegistries is env with the mirrors the builds download from, when set.
func (s *settings) withRegistries(env map[string]string) map[string]string {
	if s.GoProxy != "" {
		env[network.EnvGoProxy] = s.GoProxy
	}
	if s.PipIndexURL != "" {
		env[network.EnvPipIndexURL] = s.PipIndexURL
	}
	return env
}

// buildVariables is env as a build's variables.
func buildVariables(env map[string]string) map[string]*string {
	vars := make(map[string]*string, len(env))
	for name, value := range env {
		vars[name] = jsii.String(value)
	}
	return vars
}
