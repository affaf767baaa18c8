package project

import (
	"fmt"
	"regexp"
	"strings"
)

// Stage is a deployment stage of the project's endpoints. The deploy pipeline has
// two, Staging and Prod; an endpoint built with the library may serve any stage
// whose name Check accepts.
type Stage string

// The deploy pipeline's stages.
const (
	// Staging is tested by the test gate before anyone approves production.
	Staging Stage = "staging"
	// Prod serves production traffic once a person approved the staging endpoint.
	Prod Stage = "prod"
)

// PipelineStages are the deploy pipeline's stages, in the order it deploys them.
func PipelineStages() []Stage { return []Stage{Staging, Prod} }

// stagePattern is the rule of stage names: they end the endpoint's and the endpoint
// stack's names.
var stagePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Check says why s cannot name a deployment stage, or returns nil.
func (s Stage) Check() error {
	if !stagePattern.MatchString(string(s)) {
		return fmt.Errorf("must be lowercase letters and digits, a letter first, words separated by single hyphens (e.g. staging, prod)")
	}
	return nil
}

// Title is the stage's name with a capital first letter, e.g. "Staging": the id of
// the stage's endpoint stack in the ModelDeploy app and part of the pipeline's stage
// names.
func (s Stage) Title() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Target is where a stage deploys: an account and a region, each "" for the project
// stack's own.
type Target struct {
	Account, Region string
}

// IsLocal tells whether the target is the project stack's own account and region.
func (t Target) IsLocal() bool { return t.Account == "" && t.Region == "" }

// EndpointName is a stage's SageMaker endpoint, `<name>-<id>-<stage>`.
func (i Identity) EndpointName(stage Stage) string { return i.NameID() + "-" + string(stage) }

// DeployStackName is the CloudFormation stack of a stage's endpoint,
// `sagemaker-<name>-<id>-deploy-<stage>`.
func (i Identity) DeployStackName(stage Stage) string {
	return i.ResourceName("deploy-" + string(stage))
}

// ProjectStackName is the project stack's name, `sagemaker-<name>-<id>-project`.
func (i Identity) ProjectStackName() string { return i.ResourceName("project") }

// ModelRolePath is the IAM path of the project's model execution roles,
// `/sagemaker-project-<id>/`, so that a deployer can be allowed to create and pass
// exactly those roles.
func (i Identity) ModelRolePath() string { return "/" + i.BucketName() + "/" }

// TestRoleName is the role of the deploy pipeline's test gate,
// `sagemaker-<id>-testing`, unique per account as role names must be: a staging
// account trusts exactly that role.
func (i Identity) TestRoleName() string { return "sagemaker-" + i.ID + "-testing" }

// TesterRoleName is the role a stage's endpoint stack creates, when the test gate
// runs in another account, for the gate to invoke the endpoint:
// `sagemaker-<id>-<stage>-tester`.
func (i Identity) TesterRoleName(stage Stage) string {
	return "sagemaker-" + i.ID + "-" + string(stage) + "-tester"
}

// NotificationTopicName is the project's notification topic,
// `sagemaker-<name>-<id>-notifications`; the endpoint stacks' alarms publish to it by
// name.
func (i Identity) NotificationTopicName() string { return i.ResourceName("notifications") }
