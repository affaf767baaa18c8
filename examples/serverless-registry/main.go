// Command serverless-registry shows the library composed differently from the
// ready-made app: a team that keeps its ModelBuild code on GitHub, wants the model
// registry and the build pipeline, and serves each approved version from one
// serverless endpoint of its own (scale to zero) instead of the staging/prod pipeline.
//
//	go get github.com/sagemaker-mlops-cdk/mlops@<version>
//	cdk synth --app 'go run ./examples/serverless-registry'
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modelbuild"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"
)

func main() {
	app := awscdk.NewApp(nil)
	id := project.Identity{Name: "fraud", ID: "p-fraud0001"}

	// The registry, artifacts and build pipeline live in one stack.
	stack := awscdk.NewStack(app, jsii.String("FraudModels"), nil)
	id.ApplyTags(stack)
	store := artifacts.NewArtifactBucket(stack, "Artifacts", &artifacts.ArtifactBucketProps{Project: id})
	models := registry.NewModelRegistry(stack, "Registry", &registry.ModelRegistryProps{Project: id})
	repo := source.NewConnectionRepository(stack, "Code", &source.ConnectionRepositoryProps{
		ConnectionArn: "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		FullName:      "example-org/fraud-model",
	})
	modelbuild.NewModelBuild(stack, "ModelBuild", &modelbuild.ModelBuildProps{
		Project: id, Repository: repo, Artifacts: store, Registry: models,
		TrainingInstanceType: "ml.c5.2xlarge",
	})

	// A data scientist reads the registry, and approves versions in it.
	scientist := awsiam.NewRole(stack, jsii.String("DataScientist"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
	models.GrantRead(scientist)
	models.GrantApprove(scientist)

	// One serverless endpoint serves the version given at deploy time.
	version := awscdk.NewCfnParameter(stack, jsii.String("ModelPackageArn"), &awscdk.CfnParameterProps{Type: jsii.String("String")})
	endpoint.NewEndpoint(stack, "Scoring", &endpoint.EndpointProps{
		Project:         id,
		Stage:           "scoring",
		ModelPackageArn: version.ValueAsString(),
		Artifacts:       store,
		Serverless:      &endpoint.ServerlessHosting{MemorySizeMiB: 2048, MaxConcurrency: 10},
	})

	app.Synth(nil)
	jsiiclose.Close()
}
