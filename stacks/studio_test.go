package stacks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/studio"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
)

// studioSynthesis is the app of one configuration with its Studio templates: the
// templates' JSON and YAML as the stage wrote them, and the publishing stack.
type studioSynthesis struct {
	templates map[string]testutil.Template
	yaml      map[string][]byte
	publisher testutil.Template
}

var studioSyntheses = map[string]studioSynthesis{}

// studioTemplates synthesizes the app of context with its Studio templates on.
func studioTemplates(t *testing.T, extra map[string]any) studioSynthesis {
	t.Helper()
	key := testutil.Render(extra)
	if s, ok := studioSyntheses[key]; ok {
		return s
	}
	context := map[string]any{"studio.enabled": "true"}
	for k, v := range extra {
		context[k] = v
	}
	cfg, err := config.Parse(context)
	require.NoError(t, err)
	app := testutil.NewApp(t, "", context)
	p := stacks.NewProject(app, cfg)
	require.NotNil(t, p.Studio)
	s := studioSynthesis{templates: map[string]testutil.Template{}, yaml: map[string][]byte{}, publisher: testutil.Synth(t, p.Studio.Stack)}
	assembly := filepath.Join(*app.Outdir(), "assembly-"+stacks.StudioTemplatesStage)
	for name, stack := range p.Studio.Templates {
		data, err := os.ReadFile(filepath.Join(assembly, *stack.TemplateFile()))
		require.NoError(t, err)
		var tpl testutil.Template
		require.NoError(t, json.Unmarshal(data, &tpl))
		s.templates[name] = tpl
		s.yaml[name], err = os.ReadFile(filepath.Join(assembly, name+".yaml"))
		require.NoError(t, err)
	}
	studioSyntheses[key] = s
	return s
}

const (
	codeCommitTemplate = "mlops-build-train-deploy"
	gitTemplate        = "mlops-build-train-deploy-git"
)

func TestStudioPublishesBothVariantsOfSageMakersTemplate(t *testing.T) {
	s := studioTemplates(t, nil)
	var names []string
	for name := range s.templates {
		names = append(names, name)
	}
	sort.Strings(names)
	assert.Equal(t, []string{codeCommitTemplate, gitTemplate}, names)
	for _, name := range names {
		assert.LessOrEqual(t, len(name), 32, "a TemplateName has at most 32 characters")
		assert.Regexp(t, `^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`, name, "CreateProject's TemplateName pattern")
	}
	assert.Empty(t, s.templates[codeCommitTemplate].Resources("AWS::CodeStarConnections::Connection"))
	assert.Len(t, s.templates[codeCommitTemplate].Resources("AWS::CodeCommit::Repository"), 2)
	assert.Empty(t, s.templates[gitTemplate].Resources("AWS::CodeCommit::Repository"), "the Git variant uses the data scientist's repositories")
}

func TestStudioTemplatesTakeTheProjectNameAndIdFromSageMaker(t *testing.T) {
	for name, tpl := range studioTemplates(t, nil).templates {
		params := tpl["Parameters"].(map[string]any)
		nameParam := params[studio.NameParameter].(map[string]any)
		assert.Equal(t, map[string]any{
			"Type": "String", "Description": "Name of the project", "MinLength": 1.0, "MaxLength": 32.0,
			"AllowedPattern": `^[a-zA-Z](-*[a-zA-Z0-9])*$`, "ConstraintDescription": "must be " + project.NameRule,
		}, nameParam, name)
		idParam := params[studio.IDParameter].(map[string]any)
		assert.Equal(t, map[string]any{
			"Type": "String", "Description": "Service generated Id of the project",
			"AllowedPattern": `^p-[a-z0-9]{1,12}$`, "ConstraintDescription": "must be " + project.IDRule,
		}, idParam, name, "no default: SageMaker passes the id it generates")
	}
}

// The parameters' patterns, read by Go's regexp (CloudFormation reads them in Java,
// with the same meaning for this syntax), reject what the configuration rejects.
func TestStudioParameterPatternsRejectWhatTheConfigurationRejects(t *testing.T) {
	params := studioTemplates(t, nil).templates[gitTemplate]["Parameters"].(map[string]any)
	accepts := func(param, value string) bool {
		p := params[param].(map[string]any)
		if max, ok := p["MaxLength"].(float64); ok && float64(len(value)) > max {
			return false
		}
		if min, ok := p["MinLength"].(float64); ok && float64(len(value)) < min {
			return false
		}
		if allowed, ok := p["AllowedValues"].([]any); ok {
			for _, a := range allowed {
				if a == value {
					return true
				}
			}
			return false
		}
		return regexp.MustCompile(p["AllowedPattern"].(string)).MatchString(value)
	}
	cases := []struct {
		param, config string
		values        []string
	}{
		{studio.NameParameter, "projectName", []string{"abalone", "Churn-Model", "a", strings.Repeat("a", 32), "", "9lives", "trailing-", "under_score", strings.Repeat("a", 33)}},
		{studio.IDParameter, "projectId", []string{"p-abalonedemo1", "p-0a1b2c3d4e5f", "abalonedemo1", "p-ABC", "p-abcdefghijklm", "p-"}},
		{"ModelBuildCodeRepositoryBranch", "modelBuild.branch", []string{"main", "release/v2", "feature..x", "-rf", "has space", "x.lock", "a//b", strings.Repeat("b", 101)}},
		{"ModelDeployCodeRepositoryFullname", "modelDeploy.repository", []string{"org/repo", "group/sub/.github", "just-a-name", "org/..", "./repo"}},
		{"ModelBuildCodeRepositoryURL", "modelBuild.url", []string{"https://gitlab.example.com/org/deploy.git", "http://github.com/o/r.git", "https://github.com"}},
		{"ModelBuildCodestarConnectionArn", "modelBuild.connectionArn", []string{
			"arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
			"arn:aws:codestar-connections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
			"arn:aws:codestar:eu-west-1:111111111111:connection/x", "arn:aws:codeconnections:eu-west-1:111111111111:connection/not-a-uuid",
		}},
		{"ModelDeploySampleCode", "modelDeploy.seedCode", []string{"true", "false", "yes"}},
	}
	for _, c := range cases {
		for _, v := range c.values {
			context := map[string]any{c.config: v}
			if strings.HasPrefix(c.config, "model") && c.config != "modelBuild.branch" {
				repo := strings.Split(c.config, ".")[0]
				context[repo+".source"] = "connection"
				if c.config != repo+".repository" {
					context[repo+".repository"] = "org/repo"
				}
				if c.config != repo+".connectionArn" {
					context[repo+".connectionArn"] = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d"
				}
			}
			_, err := config.Parse(context)
			assert.Equal(t, err == nil, accepts(c.param, v), "%s %q: the configuration says %v", c.param, v, err)
		}
	}
}

func TestStudioTemplatesNeedNothingOfTheCDKBootstrap(t *testing.T) {
	for name, tpl := range studioTemplates(t, nil).templates {
		data, err := json.Marshal(tpl)
		require.NoError(t, err)
		body := string(data)
		for _, bootstrap := range []string{"BootstrapVersion", "cdk-hnb659fds", "hnb659fds", "CDKMetadata", "AWS::CDK::Metadata"} {
			assert.NotContains(t, body, bootstrap, name)
		}
		assert.NotContains(t, tpl, "Rules", name)
		// Every asset comes from the templates' own bucket, under the assets prefix.
		var locations []string
		for _, r := range tpl.Resources("AWS::Lambda::Function") {
			code := r.Properties["Code"].(map[string]any)
			if _, inline := code["ZipFile"]; inline {
				continue // the failed-deployment notifier's code is in the template
			}
			locations = append(locations, testutil.Render(code["S3Bucket"])+"/"+testutil.Render(code["S3Key"]))
		}
		for _, r := range tpl.Resources("AWS::CodeCommit::Repository") {
			s3 := r.Properties["Code"].(map[string]any)["S3"].(map[string]any)
			locations = append(locations, testutil.Render(s3["Bucket"])+"/"+testutil.Render(s3["Key"]))
		}
		for _, r := range tpl.Resources("AWS::CodeBuild::Project") {
			for _, src := range append([]any{r.Properties["Source"]}, asAnyList(r.Properties["SecondarySources"])...) {
				if m := src.(map[string]any); m["Type"] == "S3" {
					locations = append(locations, testutil.Render(m["Location"]))
				}
			}
		}
		require.NotEmpty(t, locations, name)
		for _, l := range locations {
			assert.Regexp(t, `^sagemaker-mlops-templates-\$\{AWS::AccountId\}-\$\{AWS::Region\}/assets/[0-9a-f]{64}\.zip$`, l, name)
		}
	}
}

func asAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// Every resource whose type takes tags carries the project's tags, from the
// parameters, which is how Studio finds a project's resources.
func TestEveryTaggableResourceOfTheStudioTemplatesIsTaggedFromTheParameters(t *testing.T) {
	schemas := testutil.ResourceSchemas(t)
	for name, tpl := range studioTemplates(t, nil).templates {
		tagged := 0
		for id, raw := range tpl["Resources"].(map[string]any) {
			r := raw.(map[string]any)
			typ := r["Type"].(string)
			if !schemas[typ].Taggable {
				continue
			}
			props, _ := r["Properties"].(map[string]any)
			tags := map[string]string{}
			for _, tag := range asAnyList(props["Tags"]) {
				m := tag.(map[string]any)
				tags[testutil.Render(m["Key"])] = testutil.Render(m["Value"])
			}
			if m, ok := props["Tags"].(map[string]any); ok { // CodeStar notification rules
				for k, v := range m {
					tags[k] = testutil.Render(v)
				}
			}
			assert.Equal(t, "${SageMakerProjectName}", tags[project.TagProjectName], "%s: %s %s", name, typ, id)
			assert.Equal(t, "${SageMakerProjectId}", tags[project.TagProjectID], "%s: %s %s", name, typ, id)
			tagged++
		}
		assert.Greater(t, tagged, 20, name)
	}
}

func TestStudioTemplateNamesFollowTheProjectPatternsFromTheParameters(t *testing.T) {
	tpl := studioTemplates(t, nil).templates[codeCommitTemplate]
	named := func(typ, prop string) []string {
		var out []string
		for _, r := range tpl.Resources(typ) {
			out = append(out, testutil.Render(r.Properties[prop]))
		}
		sort.Strings(out)
		return out
	}
	buckets := named("AWS::S3::Bucket", "BucketName")
	require.Len(t, buckets, 2)
	assert.Regexp(t, `^sagemaker-\$\{SageMakerProjectId\}-artifactsaccesslogs[0-9a-f]{8}$`, buckets[0], "named after the project, where CloudFormation would name it after the stack")
	assert.Equal(t, "sagemaker-project-${SageMakerProjectId}", buckets[1])
	assert.Equal(t, []string{"${SageMakerProjectName}-${SageMakerProjectId}"}, named("AWS::SageMaker::ModelPackageGroup", "ModelPackageGroupName"))
	assert.Equal(t, []string{
		"sagemaker-${SageMakerProjectName}-${SageMakerProjectId}-modelbuild",
		"sagemaker-${SageMakerProjectName}-${SageMakerProjectId}-modeldeploy",
		"sagemaker-${SageMakerProjectName}-${SageMakerProjectId}-testing",
	}, named("AWS::CodeBuild::Project", "Name"))
	assert.Equal(t, []string{
		"sagemaker-${SageMakerProjectName}-${SageMakerProjectId}-modelbuild",
		"sagemaker-${SageMakerProjectName}-${SageMakerProjectId}-modeldeploy",
	}, named("AWS::CodePipeline::Pipeline", "Name"))
	assert.Equal(t, named("AWS::CodePipeline::Pipeline", "Name"), named("AWS::CodeCommit::Repository", "RepositoryName"))
	assert.Equal(t, []string{"alias/sagemaker-project-${SageMakerProjectId}"}, named("AWS::KMS::Alias", "AliasName"))
	var stacksDeployed []string
	pipelines := tpl.Resources("AWS::CodePipeline::Pipeline")
	require.Len(t, pipelines, 2)
	for _, stage := range pipelines[1].Properties["Stages"].([]any) {
		for _, action := range stage.(map[string]any)["Actions"].([]any) {
			if c, ok := action.(map[string]any)["Configuration"].(map[string]any)["StackName"]; ok {
				stacksDeployed = append(stacksDeployed, testutil.Render(c))
			}
		}
	}
	assert.Equal(t, []string{
		"sagemaker-${SageMakerProjectName}-${SageMakerProjectId}-deploy-staging",
		"sagemaker-${SageMakerProjectName}-${SageMakerProjectId}-deploy-prod",
	}, stacksDeployed)
	roles := tpl.Resources("AWS::IAM::Role")
	require.NotEmpty(t, roles)
	for _, r := range roles {
		assert.Equal(t, "/sagemaker-projects/${SageMakerProjectId}/", testutil.Render(r.Properties["Path"]), r.LogicalID)
		assert.Equal(t, "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/sagemaker-mlops-projects-boundary-${AWS::Region}", testutil.Render(r.Properties["PermissionsBoundary"]), r.LogicalID)
	}
	for _, r := range roles {
		assert.NotContains(t, r.Properties, "RoleName", "%s: no named role, so the stack needs only CAPABILITY_IAM", r.LogicalID)
	}
}

func TestStudioTemplatesGrantNoStarAction(t *testing.T) {
	for name, tpl := range studioTemplates(t, nil).templates {
		for _, s := range tpl.AllStatements() {
			for _, a := range s.Actions {
				assert.NotEqual(t, "*", a, "%s: %s in %s", name, s.Sid, s.Policy)
			}
		}
	}
}

func TestTheGitTemplatesFormIsSageMakersWithOptionalFieldsMarked(t *testing.T) {
	tpl := studioTemplates(t, nil).templates[gitTemplate]
	meta := tpl["Metadata"].(map[string]any)
	iface := meta["AWS::CloudFormation::Interface"].(map[string]any)
	groups := iface["ParameterGroups"].([]any)
	require.Len(t, groups, 2)
	for i, repo := range []string{"ModelBuild", "ModelDeploy"} {
		g := groups[i].(map[string]any)
		assert.Equal(t, map[string]any{"default": repo + " CodeRepository Info"}, g["Label"])
		assert.Equal(t, []any{repo + "CodeRepositoryURL", repo + "CodeRepositoryBranch", repo + "CodeRepositoryFullname", repo + "CodestarConnectionArn", repo + "SampleCode"}, g["Parameters"])
		labels := iface["ParameterLabels"].(map[string]any)
		for param, label := range map[string]string{"CodeRepositoryURL": "URL", "CodeRepositoryBranch": "Branch", "CodeRepositoryFullname": "Full Repository Name", "CodestarConnectionArn": "Codestar Connection ARN", "SampleCode": "Sample Code"} {
			assert.Equal(t, map[string]any{"default": label}, labels[repo+param])
		}
		for _, param := range []string{"CodeRepositoryURL", "CodeRepositoryBranch", "SampleCode"} {
			assert.Equal(t, map[string]any{"Optional": true}, meta["SagemakerTemplateParameterRules"].(map[string]any)[repo+param])
		}
		params := tpl["Parameters"].(map[string]any)
		assert.Equal(t, "main", params[repo+"CodeRepositoryBranch"].(map[string]any)["Default"])
		assert.Equal(t, "true", params[repo+"SampleCode"].(map[string]any)["Default"])
		assert.NotContains(t, params[repo+"CodeRepositoryFullname"], "Default", "required")
		assert.NotContains(t, params[repo+"CodestarConnectionArn"], "Default", "required")
	}
	assert.Len(t, tpl["Parameters"], 12)
}

// With Sample Code off, nothing of a repository's seeding is created, and its
// pipeline waits for the seeding only when there is one.
func TestTheGitTemplateSeedsARepositoryOnlyWhenSampleCodeIsOn(t *testing.T) {
	tpl := studioTemplates(t, nil).templates[gitTemplate]
	seeds := tpl.Resources("Custom::SeedRepository")
	require.Len(t, seeds, 2)
	byCondition := map[string]int{}
	for id, raw := range tpl["Resources"].(map[string]any) {
		r := raw.(map[string]any)
		if c, ok := r["Condition"].(string); ok {
			byCondition[c]++
			assert.True(t, strings.HasPrefix(id, strings.TrimSuffix(c, "SeedCode")+"RepositorySeed"), "%s is conditional on %s", id, c)
		}
	}
	assert.Greater(t, byCondition["ModelBuildSeedCode"], 10)
	assert.Equal(t, byCondition["ModelBuildSeedCode"], byCondition["ModelDeploySeedCode"])
	assert.Equal(t, map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "ModelBuildSampleCode"}, "true"}}, tpl["Conditions"].(map[string]any)["ModelBuildSeedCode"])
	for _, p := range tpl.Resources("AWS::CodePipeline::Pipeline") {
		repo := "ModelBuild"
		if strings.HasPrefix(p.LogicalID, "ModelDeploy") {
			repo = "ModelDeploy"
		}
		variables := p.Properties["Variables"].(map[string]any)["Fn::If"].([]any)
		require.Len(t, variables, 3)
		assert.Equal(t, repo+"SeedCode", variables[0])
		seed := tpl.Named(t, "Custom::SeedRepository", "Repository", "${"+repo+"CodeRepositoryFullname}")
		assert.Equal(t, []any{map[string]any{
			"Name": "SeedCommit", "DefaultValue": map[string]any{"Fn::GetAtt": []any{seed.LogicalID, "Commit"}},
			"Description": "The commit that seeded the branch when the project was created",
		}}, variables[1])
		assert.Equal(t, map[string]any{"Ref": "AWS::NoValue"}, variables[2])
		assert.NotContains(t, p.Raw["DependsOn"], seed.LogicalID, "a DependsOn on a conditional resource is an error")
		source := testutil.Only(t, testutil.Item(t, p.Properties["Stages"], 0)["Actions"])["Configuration"].(map[string]any)
		assert.Equal(t, map[string]any{"Ref": repo + "CodeRepositoryFullname"}, source["FullRepositoryId"], "the full name is passed whole")
		assert.Equal(t, map[string]any{"Ref": repo + "CodeRepositoryBranch"}, source["BranchName"])
		assert.Equal(t, map[string]any{"Ref": repo + "CodestarConnectionArn"}, source["ConnectionArn"])
	}
	var urls []any
	for _, r := range tpl.Resources("AWS::SageMaker::CodeRepository") {
		urls = append(urls, r.Properties["GitConfig"].(map[string]any)["RepositoryUrl"])
	}
	url := func(repo string) any {
		return map[string]any{"Fn::If": []any{repo + "URLGiven", map[string]any{"Ref": repo + "CodeRepositoryURL"},
			map[string]any{"Fn::Join": []any{"", []any{"https://github.com/", map[string]any{"Ref": repo + "CodeRepositoryFullname"}, ".git"}}}}}
	}
	assert.ElementsMatch(t, []any{url("ModelBuild"), url("ModelDeploy")}, urls, "the URL given, or GitHub's")
}

// The published object is YAML (as the developer guide and AWS's samples use) and says
// exactly what the JSON template says.
func TestThePublishedYAMLIsTheTemplate(t *testing.T) {
	s := studioTemplates(t, nil)
	for name, tpl := range s.templates {
		var fromYAML map[string]any
		require.NoError(t, yaml.Unmarshal(s.yaml[name], &fromYAML), name)
		data, err := json.Marshal(fromYAML)
		require.NoError(t, err)
		var roundTrip testutil.Template
		require.NoError(t, json.Unmarshal(data, &roundTrip))
		assert.Equal(t, tpl, roundTrip, name)
		assert.False(t, json.Valid(s.yaml[name]), "%s is published as YAML, not JSON", name)
	}
}

func TestPublishingStackBucketIsStudiosAndPrivate(t *testing.T) {
	pub := studioTemplates(t, nil).publisher
	bucket := pub.Named(t, "AWS::S3::Bucket", "BucketName", "sagemaker-mlops-templates-${AWS::AccountId}-${AWS::Region}")
	p := bucket.Properties
	assert.Equal(t, "Enabled", p["VersioningConfiguration"].(map[string]any)["Status"])
	sse := testutil.Only(t, p["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"])["ServerSideEncryptionByDefault"].(map[string]any)
	assert.Equal(t, "AES256", sse["SSEAlgorithm"], "SSE-S3: Studio users read the templates without a key grant")
	assert.Equal(t, map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}, p["PublicAccessBlockConfiguration"])
	assert.Equal(t, []any{map[string]any{
		"AllowedOrigins": []any{"https://*.sagemaker.aws"}, "AllowedMethods": []any{"GET", "PUT", "POST", "HEAD", "DELETE"}, "AllowedHeaders": []any{"*"},
		"ExposedHeaders": []any{"ETag", "x-amz-delete-marker", "x-amz-id-2", "x-amz-request-id", "x-amz-server-side-encryption", "x-amz-version-id"},
	}}, p["CorsConfiguration"].(map[string]any)["CorsRules"])
	assert.Equal(t, "Retain", bucket.Raw["DeletionPolicy"])
	assert.Contains(t, p, "LoggingConfiguration")
	var tlsOnly bool
	for _, s := range pub.AllStatements() {
		if c, ok := s.Conditions["Bool"].(map[string]any); ok && s.Effect == "Deny" && c["aws:SecureTransport"] == "false" {
			tlsOnly = tlsOnly || strings.Contains(strings.Join(s.Resources, " "), bucket.LogicalID)
		}
	}
	assert.True(t, tlsOnly)
	for _, logs := range pub.Resources("AWS::S3::Bucket") {
		assert.Equal(t, "Enabled", logs.Properties["VersioningConfiguration"].(map[string]any)["Status"], "%s is versioned", logs.LogicalID)
	}
}

// The publisher copies each template to templates/<name>.yaml, and every asset any
// template refers to, under the key the template names.
func TestThePublisherPublishesEveryTemplateAndEveryAssetTheyReferTo(t *testing.T) {
	s := studioTemplates(t, nil)
	published := s.publisher.One(t, "Custom::PublishStudioTemplates").Properties
	var templateKeys []string
	for _, tpl := range asAnyList(published["Templates"]) {
		m := tpl.(map[string]any)
		templateKeys = append(templateKeys, m["Key"].(string))
		assert.Equal(t, "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}", testutil.Render(m["Source"].(map[string]any)["Bucket"]))
	}
	assert.ElementsMatch(t, []string{"templates/" + codeCommitTemplate + ".yaml", "templates/" + gitTemplate + ".yaml"}, templateKeys)
	assetKeys := map[string]bool{}
	for _, a := range asAnyList(published["Assets"]) {
		assetKeys[a.(map[string]any)["Key"].(string)] = true
	}
	keyRef := regexp.MustCompile(`assets/[0-9a-f]{64}\.zip`)
	for name, tpl := range s.templates {
		data, err := json.Marshal(tpl)
		require.NoError(t, err)
		refs := keyRef.FindAllString(string(data), -1)
		require.NotEmpty(t, refs, name)
		for _, key := range refs {
			assert.True(t, assetKeys[key], "%s refers to %s, which is not published", name, key)
		}
	}
	outputs := s.publisher["Outputs"].(map[string]any)
	for _, o := range []string{"TemplatesLocation", "BuildTrainDeployTemplateURL", "BuildTrainDeployGitTemplateURL", "LaunchRoleArn", "StudioUserPolicyArn", "DomainTagCommand"} {
		assert.Contains(t, outputs, o)
	}
	assert.Equal(t, "https://${Bucket}.s3.${AWS::Region}.${AWS::URLSuffix}/templates/"+gitTemplate+".yaml", testutil.Render(outputs["BuildTrainDeployGitTemplateURL"].(map[string]any)["Value"]))
	assert.Empty(t, s.publisher.Resources("Custom::StudioTemplatesLocation"), "no domain is tagged without studio.domainId")
}

func TestStudioDomainIsTaggedWhenConfigured(t *testing.T) {
	pub := studioTemplates(t, map[string]any{"studio.domainId": "d-abcdefgh1234"}).publisher
	tag := pub.One(t, "Custom::StudioTemplatesLocation").Properties
	assert.Equal(t, "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:domain/d-abcdefgh1234", testutil.Render(tag["DomainArn"]))
	assert.Equal(t, "sagemaker:projectS3TemplatesLocation", tag["TagKey"])
	assert.NotContains(t, pub["Outputs"], "DomainTagCommand")
	_, err := config.Parse(map[string]any{"studio.domainId": "domain-1"})
	assert.ErrorContains(t, err, `studio.domainId "domain-1" is invalid: must be a SageMaker domain id`)
}

// The deployment values of a sample project, to read templates as CloudFormation
// would resolve them. The name has capitals, which SageMaker lowercases in ARNs.
var sampleProject = map[string]string{
	"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111", "AWS::URLSuffix": "amazonaws.com",
	"SageMakerProjectName": "Churn-Model", "SageMakerProjectId": "p-0a1b2c3d4e5f",
	"ModelBuildCodestarConnectionArn":  "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
	"ModelDeployCodestarConnectionArn": "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
	"ModelBuildCodeRepositoryFullname": "org/build", "ModelDeployCodeRepositoryFullname": "org/deploy",
	"ModelBuildCodeRepositoryBranch": "main", "ModelDeployCodeRepositoryBranch": "main",
}

// In a template the deployment role creates model roles only with the projects'
// boundary, and the deploy build hands the boundary to the endpoint stacks.
func TestTheDeploymentRoleOfATemplateCreatesOnlyBoundedRoles(t *testing.T) {
	tpl := studioTemplates(t, nil).templates[codeCommitTemplate]
	boundary := "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/sagemaker-mlops-projects-boundary-${AWS::Region}"
	var role testutil.Resource
	for _, r := range tpl.Resources("AWS::IAM::Role") {
		if strings.HasPrefix(r.LogicalID, "ModelDeployDeploymentRole") {
			role = r
		}
	}
	require.NotEmpty(t, role.LogicalID)
	bySid := map[string]testutil.Statement{}
	for _, s := range tpl.RoleStatements(role.LogicalID) {
		bySid[s.Sid] = s
	}
	require.Contains(t, bySid, "CreateBoundedModelRoles")
	assert.ElementsMatch(t, []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"}, bySid["CreateBoundedModelRoles"].Actions)
	assert.Equal(t, boundary, testutil.Render(bySid["CreateBoundedModelRoles"].Conditions["StringEquals"].(map[string]any)["iam:PermissionsBoundary"]))
	assert.NotContains(t, bySid["ManageModelRoles"].Actions, "iam:CreateRole")
	assert.NotContains(t, bySid["ManageModelRoles"].Actions, "iam:PutRolePolicy")
	build := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-${SageMakerProjectName}-${SageMakerProjectId}-modeldeploy")
	env := map[string]string{}
	for _, v := range build.Properties["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		m := v.(map[string]any)
		env[m["Name"].(string)] = testutil.Render(m["Value"])
	}
	assert.Equal(t, boundary, env["PERMISSIONS_BOUNDARY_ARN"])
	assert.Equal(t, "${SageMakerProjectName}", env["SAGEMAKER_PROJECT_NAME"])
	assert.Equal(t, "${SageMakerProjectId}", env["SAGEMAKER_PROJECT_ID"])

	deployed := defaultTemplate(t)
	for _, r := range deployed.Resources("AWS::IAM::Role") {
		assert.NotContains(t, r.Properties, "PermissionsBoundary", "cdk deploy's roles are as before")
		assert.NotContains(t, r.Properties, "Path", "cdk deploy's roles are as before")
	}
}

// IAM limits a managed policy to 6,144 characters without white space: each policy of
// the publishing stack fits, for the longest partition, region and account values.
func TestEveryManagedPolicyOfThePublishingStackFitsIAMsLimit(t *testing.T) {
	pub := studioTemplates(t, nil).publisher
	fill := testutil.Filler(map[string]string{
		"AWS::Partition": "aws-iso-b", "AWS::Region": "ap-southeast-4", "AWS::AccountId": "111111111111", "AWS::URLSuffix": "amazonaws.com",
	})
	var render func(v any) any
	render = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			for _, intrinsic := range []string{"Ref", "Fn::Join", "Fn::Sub", "Fn::GetAtt"} {
				if _, ok := t[intrinsic]; ok {
					return fill(testutil.Render(t)) + strings.Repeat("x", 24*strings.Count(testutil.Render(t), "${"+"Publication"))
				}
			}
			out := map[string]any{}
			for k, x := range t {
				out[k] = render(x)
			}
			return out
		case []any:
			out := make([]any, len(t))
			for i, x := range t {
				out[i] = render(x)
			}
			return out
		}
		return v
	}
	policies := pub.Resources("AWS::IAM::ManagedPolicy")
	require.GreaterOrEqual(t, len(policies), 4, "the boundary, the user policy and the launch role's parts")
	for _, p := range policies {
		data, err := json.Marshal(render(p.Properties["PolicyDocument"]))
		require.NoError(t, err)
		assert.Less(t, len(data), 6144, p.LogicalID)
	}
}

// Every name a template gives stays within its service's limit for the longest name
// and id SageMaker accepts.
func TestStudioTemplateNamesFitForTheLongestNameAndId(t *testing.T) {
	fill := testutil.Filler(map[string]string{
		"SageMakerProjectName": strings.Repeat("N", project.MaxNameLength), "SageMakerProjectId": "p-" + strings.Repeat("0", 12),
		"AWS::Region": "ap-southeast-4", "AWS::AccountId": "111111111111", "AWS::Partition": "aws-iso-b",
	})
	limits := map[string]struct {
		property string
		max      int
	}{
		"AWS::S3::Bucket": {"BucketName", 63}, "AWS::Events::Rule": {"Name", 64}, "AWS::SageMaker::CodeRepository": {"CodeRepositoryName", 63},
		"AWS::Lambda::Function": {"FunctionName", 64}, "AWS::StepFunctions::StateMachine": {"StateMachineName", 80},
		"AWS::Logs::LogGroup": {"LogGroupName", 512}, "AWS::CodeBuild::Project": {"Name", 255}, "AWS::CodePipeline::Pipeline": {"Name", 100},
		"AWS::CodeCommit::Repository": {"RepositoryName", 100}, "AWS::SageMaker::ModelPackageGroup": {"ModelPackageGroupName", 63},
		"AWS::KMS::Alias": {"AliasName", 256},
	}
	for name, tpl := range studioTemplates(t, nil).templates {
		checked := 0
		for typ, limit := range limits {
			for _, r := range tpl.Resources(typ) {
				v, ok := r.Properties[limit.property]
				if !ok {
					continue
				}
				rendered := fill(testutil.Render(v))
				assert.LessOrEqual(t, len(rendered), limit.max, "%s: %s %s is %q", name, typ, r.LogicalID, rendered)
				checked++
			}
		}
		assert.Greater(t, checked, 10, name)
	}
}
