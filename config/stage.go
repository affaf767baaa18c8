package config

import (
	"fmt"
	"strings"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
)

// stageFields are the keys of one stage, below prefix (e.g. "staging.").
func stageFields(prefix string, stage func(*Config) *Stage) []field {
	s := func(f func(*Stage) *string) func(*Config) *string {
		return func(c *Config) *string { return f(stage(c)) }
	}
	n := func(f func(*Stage) *int) func(*Config) *int {
		return func(c *Config) *int { return f(stage(c)) }
	}
	return []field{
		stringField(prefix+"account", s(func(st *Stage) *string { return &st.Account }), optional(matches(accountPattern, "a 12-digit AWS account id"))),
		stringField(prefix+"region", s(func(st *Stage) *string { return &st.Region }), optional(knownRegion)),
		stringField(prefix+"hosting", s(func(st *Stage) *string { return (*string)(&st.Hosting) }), oneOf(string(Instances), string(Serverless))),
		stringField(prefix+"instanceType", s(func(st *Stage) *string { return &st.InstanceType }), endpoint.CheckInstanceType),
		intField(prefix+"instanceCount", n(func(st *Stage) *int { return &st.InstanceCount }), endpoint.CheckInstanceCount),
		intField(prefix+"autoscaling.minCapacity", n(func(st *Stage) *int { return &st.AutoscalingMinCapacity }), intRange(1, 100)),
		intField(prefix+"autoscaling.maxCapacity", n(func(st *Stage) *int { return &st.AutoscalingMaxCapacity }), intRange(0, 100)),
		intField(prefix+"autoscaling.targetInvocationsPerInstance", n(func(st *Stage) *int { return &st.AutoscalingTargetInvocations }), intRange(1, 100000)),
		intField(prefix+"serverless.memorySizeMiB", n(func(st *Stage) *int { return &st.ServerlessMemorySizeMiB }), endpoint.CheckServerlessMemory),
		intField(prefix+"serverless.maxConcurrency", n(func(st *Stage) *int { return &st.ServerlessMaxConcurrency }), endpoint.CheckServerlessConcurrency),
		boolField(prefix+"dataCapture.enabled", func(c *Config) *bool { return &stage(c).DataCapture }),
		intField(prefix+"dataCapture.samplingPercentage", n(func(st *Stage) *int { return &st.DataCaptureSamplingPercentage }), endpoint.CheckSamplingPercentage),
		stringField(prefix+"dataCapture.prefix", s(func(st *Stage) *string { return &st.DataCapturePrefix }), endpoint.CheckCapturePrefix),
		// The deployment's rules involve the fleet: Stage.problems checks them.
		stringField(prefix+"deployment.strategy", s(func(st *Stage) *string { return (*string)(&st.Deployment.Strategy) }), anyString),
		intField(prefix+"deployment.canaryInstances", n(func(st *Stage) *int { return &st.Deployment.CanaryInstances }), anyInt),
		intField(prefix+"deployment.linearStepInstances", n(func(st *Stage) *int { return &st.Deployment.LinearStepInstances }), anyInt),
		intField(prefix+"deployment.bakeSeconds", n(func(st *Stage) *int { return &st.Deployment.BakeSeconds }), anyInt),
		intField(prefix+"deployment.terminationWaitSeconds", n(func(st *Stage) *int { return &st.Deployment.TerminationWaitSeconds }), anyInt),
		intField(prefix+"deployment.maxExecutionSeconds", n(func(st *Stage) *int { return &st.Deployment.MaxExecutionSeconds }), anyInt),
		intField(prefix+"deployment.alarm5xxErrors", n(func(st *Stage) *int { return &st.Deployment.Alarm5xxErrors }), anyInt),
		intField(prefix+"deployment.alarmModelLatencyMs", n(func(st *Stage) *int { return &st.Deployment.AlarmModelLatencyMs }), anyInt),
		// Monitoring needs data capture, and its runtime depends on its schedule:
		// Stage.problems checks them together.
		boolField(prefix+"monitoring.enabled", func(c *Config) *bool { return &stage(c).Monitoring.Enabled }),
		stringField(prefix+"monitoring.schedule", s(func(st *Stage) *string { return &st.Monitoring.Schedule }), monitoring.CheckSchedule),
		stringField(prefix+"monitoring.instanceType", s(func(st *Stage) *string { return &st.Monitoring.InstanceType }), monitoring.CheckInstanceType),
		intField(prefix+"monitoring.maxRuntimeSeconds", n(func(st *Stage) *int { return &st.Monitoring.MaxRuntimeSeconds }), anyInt),
		// Serverless hosting refuses isolation: Stage.problems checks them together.
		boolField(prefix+"networkIsolation", func(c *Config) *bool { return &stage(c).NetworkIsolation }),
	}
}

// deploymentKey is the key of a field of endpoint.Deployment below a stage, e.g.
// `prod.deployment.bakeSeconds` for BakeSeconds.
func deploymentKey(stage project.Stage, field string) string {
	return string(stage) + ".deployment." + strings.ToLower(field[:1]) + field[1:]
}

// fleet is the range of instances the stage's endpoint may have.
func (st Stage) fleet() endpoint.Fleet {
	switch {
	case st.Hosting == Serverless:
		return endpoint.Fleet{Serverless: true}
	case st.AutoscalingMaxCapacity > 0:
		return endpoint.Fleet{Fewest: st.AutoscalingMinCapacity, Most: st.AutoscalingMaxCapacity, InstanceType: st.InstanceType}
	}
	return endpoint.Fleet{Fewest: st.InstanceCount, Most: st.InstanceCount, InstanceType: st.InstanceType}
}

// problems reports the rules of a stage that involve more than one key.
func (st Stage) problems(name project.Stage, p project.Identity) []string {
	var out []string
	if p.Validate() == nil {
		if err := endpoint.CheckEndpointName(p.Longest().EndpointName(name)); err != nil {
			out = append(out, fmt.Sprintf("projectName %q with stage %s %v", p.Name, name, err))
		}
	}
	if st.Monitoring.Enabled && !st.DataCapture {
		out = append(out, fmt.Sprintf("%s.monitoring.enabled \"true\" with %s.dataCapture.enabled false is invalid: monitoring reads the endpoint's captured data; set %s.dataCapture.enabled to true, or %s.monitoring.enabled to false", name, name, name, name))
	}
	if err := monitoring.CheckMaxRuntime(st.Monitoring.MaxRuntimeSeconds, st.Monitoring.Schedule); err != nil && monitoring.CheckSchedule(st.Monitoring.Schedule) == nil {
		out = append(out, fmt.Sprintf("%s.monitoring.maxRuntimeSeconds \"%d\" is invalid: %v", name, st.Monitoring.MaxRuntimeSeconds, err))
	}
	for _, e := range st.Deployment.Check(st.fleet()) {
		out = append(out, fmt.Sprintf("%s %q is invalid: %v", deploymentKey(name, e.Field), fmt.Sprint(e.Value), e.Err))
	}
	if st.Hosting == Serverless {
		if st.DataCapture {
			out = append(out, fmt.Sprintf("%s.hosting %q with %s.dataCapture.enabled true is invalid: SageMaker serverless endpoints cannot capture data; set %s.dataCapture.enabled to false or use instance hosting", name, st.Hosting, name, name))
		}
		if st.NetworkIsolation {
			out = append(out, fmt.Sprintf("%s.hosting %q with %s.networkIsolation true is invalid: SageMaker serverless endpoints do not support network isolation; set %s.networkIsolation to false or use instance hosting", name, st.Hosting, name, name))
		}
		if st.AutoscalingMaxCapacity > 0 {
			out = append(out, fmt.Sprintf("%s.hosting %q with %s.autoscaling.maxCapacity %d is invalid: serverless endpoints scale by themselves; set %s.autoscaling.maxCapacity to 0", name, st.Hosting, name, st.AutoscalingMaxCapacity, name))
		}
		return out
	}
	if err := endpoint.CheckAutoscaling(st.InstanceCount, st.AutoscalingMinCapacity, st.AutoscalingMaxCapacity, st.AutoscalingTargetInvocations); err != nil {
		out = append(out, fmt.Sprintf("%s.autoscaling is invalid: %v", name, err))
	}
	return out
}

// CapturePrefix is where the stage captures data, "" when it captures none.
func (st Stage) CapturePrefix() string {
	if !st.DataCapture {
		return ""
	}
	return st.DataCapturePrefix
}

// EndpointHosting returns the stage's hosting as the endpoint construct's props.
func (st Stage) EndpointHosting() (*endpoint.InstanceHosting, *endpoint.ServerlessHosting, *endpoint.DataCapture) {
	var capture *endpoint.DataCapture
	if st.DataCapture {
		capture = &endpoint.DataCapture{SamplingPercentage: st.DataCaptureSamplingPercentage, Prefix: st.DataCapturePrefix}
	}
	if st.Hosting == Serverless {
		return nil, &endpoint.ServerlessHosting{MemorySizeMiB: st.ServerlessMemorySizeMiB, MaxConcurrency: st.ServerlessMaxConcurrency}, capture
	}
	instance := &endpoint.InstanceHosting{InstanceType: st.InstanceType, InitialInstanceCount: st.InstanceCount, NetworkAccess: !st.NetworkIsolation}
	if st.AutoscalingMaxCapacity > 0 {
		instance.Autoscaling = &endpoint.Autoscaling{
			MinCapacity:                  st.AutoscalingMinCapacity,
			MaxCapacity:                  st.AutoscalingMaxCapacity,
			TargetInvocationsPerInstance: st.AutoscalingTargetInvocations,
		}
	}
	return instance, nil, capture
}

// EndpointDeployment returns the stage's deployment as the endpoint construct's
// props.
func (st Stage) EndpointDeployment() *endpoint.Deployment {
	d := st.Deployment
	return &d
}

// ParseStage reads one stage's settings (staging or prod) from a map keyed like the
// app's `<stage>.*` keys without the `<stage>.` prefix, as the deploy repository's
// stage configuration files are, with the same defaults and rules as Parse. project
// is the project the stage belongs to (it bounds the endpoint name).
func ParseStage(p project.Identity, name project.Stage, settings map[string]any) (Stage, error) {
	if name != project.Staging && name != project.Prod {
		return Stage{}, fmt.Errorf("stage %q is invalid: must be %s or %s", name, project.Staging, project.Prod)
	}
	context := map[string]any{"projectName": p.Name, "projectId": p.ID}
	for k, v := range settings {
		if strings.HasPrefix(k, "vpc.") {
			return Stage{}, fmt.Errorf("%s %q is the project's, not the stage file's: the project's %s.%s key (or vpc.*) places the endpoint, and reaches the build from the project", k, fmt.Sprint(v), name, k)
		}
		context[string(name)+"."+k] = v
	}
	cfg, err := Parse(context)
	if err != nil {
		return Stage{}, err
	}
	return cfg.Stage(name), nil
}
