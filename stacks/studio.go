package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"gopkg.in/yaml.v3"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/studio"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// StudioTemplateVariant is one SageMaker project template the app publishes.
type StudioTemplateVariant struct {
	// Name is the template's name: its object `templates/<Name>.yaml` and its
	// TemplateName in CreateProject.
	Name string
	// ID is the template's stack's construct id.
	ID string
	// Description is what Studio shows of the template.
	Description string
	// Git makes the ModelBuild and ModelDeploy repositories existing GitHub, GitLab or
	// Bitbucket repositories that the data scientist gives on the form; without it they
	// are CodeCommit repositories the project creates.
	Git bool
}

// StudioTemplateVariants are the two templates SageMaker itself offers for this
// project: with CodeCommit repositories, and with third-party Git repositories.
var StudioTemplateVariants = []StudioTemplateVariant{
	{
		Name: "mlops-build-train-deploy", ID: "BuildTrainDeploy",
		Description: "MLOps template for model building, training, and deployment: ModelBuild and ModelDeploy repositories in CodeCommit, seeded with a SageMaker pipeline (preprocess, train XGBoost, evaluate, register) and its deployment; a model registry with approvals; a tested staging endpoint and a production endpoint after a person's approval.",
	},
	{
		Name: "mlops-build-train-deploy-git", ID: "BuildTrainDeployGit", Git: true,
		Description: "MLOps template for model building, training, and deployment with third-party Git repositories (GitHub, GitLab, Bitbucket through a CodeConnections connection), seeded with a SageMaker pipeline and its deployment; a model registry with approvals; a tested staging endpoint and a production endpoint after a person's approval.",
	},
}

// StudioTemplatesProps configures StudioTemplates.
type StudioTemplatesProps struct {
	awscdk.StackProps
	// Config holds the organisation's settings the templates fix (instance types, test
	// gate, log retention, removal policy) and the Studio keys. The project's name and
	// id, and its repositories, come from the Studio form instead. Required.
	Config config.Config
}

// StudioTemplates is the stack that publishes the project as SageMaker project
// templates for Studio, and the templates themselves: one project stack per variant,
// synthesized with the project's name and id as the parameters SageMaker passes, in
// the stage StudioTemplatesStage.
type StudioTemplates struct {
	awscdk.Stack
	// Templates are the project template stacks, by variant name.
	Templates map[string]*ProjectStack
	// Publication is the bucket, the templates and assets in it, and the launch role.
	Publication *studio.Publication
}

// StudioTemplatesStage is the construct id of the stage that holds the templates'
// stacks, whose cloud assembly (`assembly-StudioTemplatesStage` in the output
// directory) holds their JSON and YAML bodies.
const StudioTemplatesStage = "StudioTemplatesStage"

// NewStudioTemplates builds the templates in a stage of scope (an app), synthesizes
// that stage to render them, and creates the stack that publishes them. Aspects
// already added to scope (such as cdk-nag's checks) are applied to the templates too,
// since aspects do not cross into a stage. It panics when the configuration is
// invalid.
func NewStudioTemplates(scope constructs.Construct, id string, props *StudioTemplatesProps) *StudioTemplates {
	cfg := props.Config
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	stage := awscdk.NewStage(scope, jsii.String(StudioTemplatesStage), nil)
	for _, aspect := range *awscdk.Aspects_Of(scope).All() {
		awscdk.Aspects_Of(stage).Add(aspect, nil)
	}
	templates := map[string]*ProjectStack{}
	for _, v := range StudioTemplateVariants {
		templates[v.Name] = newProjectTemplate(stage, v, cfg)
	}
	assembly := *stage.Synth(nil).Directory()
	var published []studio.Template
	var assets []studio.Asset
	for _, v := range StudioTemplateVariants {
		t, a, err := renderTemplate(assembly, templates[v.Name].Stack, v.Name)
		if err != nil {
			panic(fmt.Sprintf("cannot render the Studio template %s: %v", v.Name, err))
		}
		published = append(published, t)
		assets = append(assets, a...)
	}

	sp := props.StackProps
	if sp.StackName == nil {
		sp.StackName = jsii.String("sagemaker-mlops-studio-templates")
	}
	if sp.Description == nil {
		sp.Description = jsii.String("Publishes the MLOps project templates for SageMaker Studio: the templates and their assets, the launch role and the permissions boundary of project roles")
	}
	stack := awscdk.NewStack(scope, &id, &sp)
	removal := awscdk.RemovalPolicy_RETAIN
	if cfg.RemovalPolicy == config.Destroy {
		removal = awscdk.RemovalPolicy_DESTROY
	}
	publication := studio.NewPublication(stack, "Publication", &studio.PublicationProps{
		Templates:                   published,
		Assets:                      uniqueAssets(assets),
		RemovalPolicy:               removal,
		NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(float64(cfg.NoncurrentVersionExpirationDays))),
		LogRetention:                cfg.LogRetention(),
		DomainID:                    cfg.Studio.DomainID,
		Networked:                   cfg.Network.IsSet(),
	})
	output := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(description), Value: value})
	}
	output("TemplatesLocation", "Where Studio lists the templates: the value of the domain tag "+studio.LocationTag, publication.Location())
	for _, v := range StudioTemplateVariants {
		output(v.ID+"TemplateURL", "TemplateURL of the "+v.Name+" template for CreateProject", publication.TemplateURLs[v.Name])
	}
	output("LaunchRoleArn", "Role ARN to give on Studio's Create project form (CloudFormation creates the project's stack with it)", publication.LaunchRole.RoleArn())
	output("StudioUserPolicyArn", "Managed policy to attach to the Studio execution roles that create projects", publication.UserPolicy.ManagedPolicyArn())
	if cfg.Studio.DomainID == "" {
		output("DomainTagCommand", "Tags a SageMaker domain (DOMAIN_ID) so that its Studio lists the templates", publication.DomainTagCommand())
	}
	return &StudioTemplates{Stack: stack, Templates: templates, Publication: publication}
}

// newProjectTemplate builds a variant's project stack: the same stack as `cdk deploy`
// gets, with the project's name and id (and, for Git, the repositories) taken from
// the template's parameters; every role under the project's path and the projects'
// boundary; every resource CloudFormation would name named after the project id; and
// assets in the templates bucket rather than in a CDK bootstrap bucket.
func newProjectTemplate(stage awscdk.Stage, v StudioTemplateVariant, cfg config.Config) *ProjectStack {
	stack := awscdk.NewStack(stage, jsii.String(v.ID), &awscdk.StackProps{
		StackName:          jsii.String("sagemaker-mlops-template-" + v.Name),
		Description:        jsii.String(v.Description),
		AnalyticsReporting: jsii.Bool(false),
		Env:                projectEnvironment(cfg),
		Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
			FileAssetsBucketName:         jsii.String(studio.TemplatesBucketName),
			BucketPrefix:                 jsii.String(studio.AssetsPrefix),
			GenerateBootstrapVersionRule: jsii.Bool(false),
		}),
	})
	form := studio.NewForm(stack)
	cfg.Project = form.Project()
	var buildRepo, deployRepo studio.GitRepository
	if v.Git {
		buildRepo = form.AddGitRepository("ModelBuild", "ModelBuild CodeRepository Info")
		deployRepo = form.AddGitRepository("ModelDeploy", "ModelDeploy CodeRepository Info")
		cfg.ModelBuild, cfg.ModelDeploy = gitRepository(buildRepo), gitRepository(deployRepo)
	} else {
		cfg.ModelBuild = config.Repository{Source: config.CodeCommit, Branch: "main", SeedCode: true}
		cfg.ModelDeploy = cfg.ModelBuild
	}
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	props := &ProjectStackProps{
		Config:              cfg,
		PermissionsBoundary: awsiam.ManagedPolicy_FromManagedPolicyArn(stack, jsii.String("ProjectRolesBoundary"), studio.BoundaryArn(stack)),
	}
	if v.Git {
		props.ModelBuildSeedCondition, props.ModelDeploySeedCondition = buildRepo.SeedCode, deployRepo.SeedCode
	}
	p := addProject(stack, props)
	studio.ScopeRoles(stack, studio.RolePath(cfg.Project))
	studio.NameResources(stack, cfg.Project)
	explainIDScopedArns(stack, cfg.Project)
	return p
}

// explainIDScopedArns tells cdk-nag why the ARNs of the project's SageMaker
// resources hold a wildcard in a template: CloudFormation cannot lowercase the
// project name as SageMaker does in ARNs, so they are scoped by the project id (see
// project.Identity.ArnName).
func explainIDScopedArns(stack awscdk.Stack, p project.Identity) {
	var patterns []string
	for _, name := range []string{"model-package-group/" + p.ArnName(""), "pipeline/" + p.ArnName(""), "endpoint/" + p.ArnName("-staging"), "endpoint/" + p.ArnName("-prod")} {
		patterns = append(patterns, nag.ArnPattern("sagemaker", nag.Text(stack, name)))
	}
	nag.Suppress(stack, nag.Rule{
		ID:                "AwsSolutions-IAM5",
		Reason:            "SageMaker lowercases resource names in ARNs and CloudFormation cannot lowercase the project name a data scientist types, so the ARNs of the project's group, pipeline and endpoints are scoped by the project id, which is lowercase and unique in the account.",
		AppliesToPatterns: patterns,
	})
}

// gitRepository is the configuration of a repository given on the Studio form.
func gitRepository(r studio.GitRepository) config.Repository {
	return config.Repository{
		Source: config.Connection, ConnectionArn: r.ConnectionArn, FullName: r.FullName, URL: r.URL,
		Branch: r.Branch, SeedCode: true,
	}
}

// renderTemplate writes the YAML body of the stack's synthesized template beside it,
// and lists the assets the template refers to.
func renderTemplate(assembly string, stack awscdk.Stack, name string) (studio.Template, []studio.Asset, error) {
	data, err := os.ReadFile(filepath.Join(assembly, *stack.TemplateFile()))
	if err != nil {
		return studio.Template{}, nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		return studio.Template{}, nil, err
	}
	out, err := yaml.Marshal(body)
	if err != nil {
		return studio.Template{}, nil, err
	}
	file := filepath.Join(assembly, name+".yaml")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		return studio.Template{}, nil, err
	}
	manifest, err := os.ReadFile(filepath.Join(assembly, *stack.ArtifactId()+".assets.json"))
	if err != nil {
		return studio.Template{}, nil, err
	}
	var files struct {
		Files map[string]struct {
			Source struct {
				Path string `json:"path"`
			} `json:"source"`
			Destinations map[string]struct {
				ObjectKey string `json:"objectKey"`
			} `json:"destinations"`
		} `json:"files"`
	}
	if err := json.Unmarshal(manifest, &files); err != nil {
		return studio.Template{}, nil, err
	}
	var assets []studio.Asset
	for _, f := range files.Files {
		if f.Source.Path == *stack.TemplateFile() {
			continue
		}
		for _, d := range f.Destinations {
			assets = append(assets, studio.Asset{Path: filepath.Join(assembly, f.Source.Path), Key: d.ObjectKey})
		}
	}
	return studio.Template{Name: name, File: file}, assets, nil
}

// uniqueAssets drops repeats (the variants share their Lambda code) and sorts the
// assets by key, so that the publishing stack is the same for the same templates.
func uniqueAssets(assets []studio.Asset) []studio.Asset {
	byKey := map[string]studio.Asset{}
	for _, a := range assets {
		byKey[a.Key] = a
	}
	out := make([]studio.Asset, 0, len(byKey))
	for _, a := range byKey {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
