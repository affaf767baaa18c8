package modeldeploy

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// suppressBuildFindings explains the wildcards CDK's CodeBuild and CodePipeline grants
// carry.
func suppressBuildFindings(d *ModelDeploy, s *settings) {
	artifactsRule := nag.PipelineArtifactsRule(d.Pipeline.ArtifactBucket())
	var stacks []string
	for _, stage := range project.PipelineStages() {
		stacks = append(stacks, nag.ArnPattern("cloudformation", "stack/"+nag.Text(d.Construct, s.Project.DeployStackName(stage))+"/*"))
	}
	for _, pr := range []struct {
		project awscodebuild.PipelineProject
		name    string
	}{{d.BuildProject, s.Project.ResourceName("modeldeploy")}, {d.TestProject, s.Project.ResourceName("testing")}} {
		patterns := []string{
			nag.ArnPattern("codebuild", "report-group/"+nag.Ref(pr.project)+"-*"),
			nag.ArnPattern("logs", "log-group:/aws/codebuild/"+nag.Ref(pr.project)+":*"),
		}
		applies := append([]string{}, artifactsRule.AppliesTo...)
		reason := "CDK's standard CodeBuild grants read the pipeline's input and write its output under generated keys of the project's pipeline artifact bucket; report groups and log streams have generated names under this project's prefixes."
		if pr.project == d.BuildProject {
			applies = append(applies, "Resource::*", nag.Resource(pr.project, s.Artifacts.ObjectsArn(storePrefix(pr.name))), nag.Resource(pr.project, s.Artifacts.ObjectsArn(s.Project.ModelArtifactsPrefix())))
			patterns = append(patterns, nag.ArnPatternOf(d.Construct, s.Registry.PackagesArn()))
			patterns = append(patterns, stacks...)
			reason += " The build keeps what it compiled and Go's caches under its own prefix of the artifact bucket, keyed by content hashes. It lists the group's model versions (ListModelPackages supports no resource-level permissions) and describes them, reads the data-quality baselines the ModelBuild pipeline writes under the project's prefix, and reads the two endpoint stacks (a stack ARN ends in a generated id)."
		}
		rule := nag.Rule{ID: "AwsSolutions-IAM5", Reason: reason, AppliesTo: applies, AppliesToPatterns: patterns}
		nag.Suppress(pr.project, rule)
		nag.Suppress(pr.project.Role(), rule)
	}
	nag.Suppress(d.Pipeline, artifactsRule, nag.Rule{
		ID:                "AwsSolutions-IAM5",
		Reason:            "CDK's standard grants let the CloudFormation actions describe and update exactly the two endpoint stacks (a stack ARN ends in a generated id).",
		AppliesTo:         []string{"Action::cloudformation:DescribeStack*", "Action::cloudformation:GetTemplate*"},
		AppliesToPatterns: stacks,
	})
}
