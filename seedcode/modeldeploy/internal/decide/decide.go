// Package decide decides what an execution of the deploy pipeline deploys, from the
// registry's newest Approved version and the endpoint stacks as they run: it deploys
// when a stage's synthesized template differs from the one its stack runs (another
// version, or a change of this repository), and skips the deploy stages otherwise,
// so that rejecting a version no stage serves costs no test gate and no approval.
// With no Approved version left, nothing is deployed and the endpoints stay as they
// are. Rejecting the version a stage serves therefore redeploys the newest version
// still Approved, through the same staging, test gate and approval path.
package decide

import (
	"fmt"
	"path"
	"strings"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"

	"modeldeploy/internal/deployed"
)

// Stage is one deploy stage: its settings file, the template the build synthesized
// for it, and its stack as it runs.
type Stage struct {
	Name project.Stage
	// SettingsFile is the stage's settings file, named in errors.
	SettingsFile string
	// Synthesized is the template the build wrote; nil when nothing was synthesized
	// (no Approved version).
	Synthesized map[string]any
	// Deployed is the stage's stack.
	Deployed deployed.Stack
}

// Decide decides for the newest Approved version newest ("" when there is none);
// status tells the approval status of a version a stage serves, for the message. It
// fails when a stage's update would change the instance type of an autoscaled
// variant, which SageMaker rejects.
func Decide(group, newest string, stages []Stage, status func(arn string) string) (deploybuild.Decision, error) {
	serves := servesText(stages, status)
	if newest == "" {
		return deploybuild.Decision{Reason: fmt.Sprintf("no Approved model package in group %s: nothing is deployed, the endpoints stay as they are (%s)", group, serves)}, nil
	}
	var changed []string
	for _, st := range stages {
		if err := checkInstanceTypeChange(st); err != nil {
			return deploybuild.Decision{}, err
		}
		if !st.Deployed.Runs(st.Synthesized) {
			changed = append(changed, string(st.Name))
		}
	}
	if len(changed) == 0 {
		return deploybuild.Decision{Reason: fmt.Sprintf("every stage already runs %s with this repository's code: nothing to deploy (%s)", Version(newest), serves)}, nil
	}
	return deploybuild.Decision{
		Deploy:          true,
		ModelPackageArn: newest,
		Reason:          fmt.Sprintf("deploying %s, the newest Approved version of %s (%s changes; %s)", Version(newest), group, strings.Join(changed, " and "), serves),
	}, nil
}

// checkInstanceTypeChange fails when st's update would change the instance type of a
// variant registered with Application Auto Scaling: SageMaker rejects the update
// until the scalable target is deregistered.
func checkInstanceTypeChange(st Stage) error {
	from, to := st.Deployed.InstanceType(), deployed.InstanceType(st.Synthesized)
	if !st.Deployed.Autoscaled() || from == "" || to == "" || from == to {
		return nil
	}
	return fmt.Errorf("%s instanceType %q: the %s endpoint runs %s with autoscaling, and SageMaker cannot change the instance type of an autoscaled variant: first deploy with autoscaling.maxCapacity 0 (which deregisters it) and instanceType %q, then turn autoscaling back on", st.SettingsFile, to, st.Name, from, to)
}

// servesText says what each stage serves, e.g. "staging serves v3, prod serves v2
// (Rejected)".
func servesText(stages []Stage, status func(string) string) string {
	parts := make([]string, len(stages))
	for i, st := range stages {
		arn := st.Deployed.ModelPackageArn()
		switch {
		case !st.Deployed.Exists():
			parts[i] = string(st.Name) + " serves nothing yet"
		case arn == "":
			parts[i] = string(st.Name) + " serves a version given as a stack parameter"
		default:
			parts[i] = string(st.Name) + " serves " + Version(arn)
			if s := status(arn); s != "Approved" {
				parts[i] += " (" + s + ")"
			}
		}
	}
	return strings.Join(parts, ", ")
}

// Version is a model package version's short name, "v<number>", from its ARN.
func Version(arn string) string { return "v" + path.Base(arn) }
