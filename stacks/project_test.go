package stacks_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/internal/buildproject"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// project synthesizes the project stack of a configuration once per test binary.
var projectTemplates = map[string]testutil.Template{}

func projectTemplate(t *testing.T, context map[string]any) testutil.Template {
	t.Helper()
	key := testutil.Render(context)
	if tpl, ok := projectTemplates[key]; ok {
		return tpl
	}
	cfg, err := config.Parse(context)
	require.NoError(t, err)
	app := testutil.NewApp(t, "", context)
	p := stacks.NewProject(app, cfg)
	tpl := testutil.Synth(t, p.Project.Stack)
	projectTemplates[key] = tpl
	return tpl
}

func defaultTemplate(t *testing.T) testutil.Template { return projectTemplate(t, nil) }

func sandboxTemplate(t *testing.T) testutil.Template {
	return projectTemplate(t, map[string]any{
		"projectName": "Churn", "projectId": "p-sandbox01", "removalPolicy": "destroy",
		"logRetentionDays": 7, "modelBuild.branch": "develop", "trainingInstanceType": "ml.c5.xlarge",
	})
}

func TestArtifactBucketIsEncryptedVersionedPrivateLoggedAndRetained(t *testing.T) {
	tpl := defaultTemplate(t)
	bucket := tpl.Named(t, "AWS::S3::Bucket", "BucketName", "sagemaker-project-p-abalonedemo1")
	p := bucket.Properties
	sse := testutil.Only(t, p["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"])
	byDefault := sse["ServerSideEncryptionByDefault"].(map[string]any)
	assert.Equal(t, "aws:kms", byDefault["SSEAlgorithm"])
	key := tpl.One(t, "AWS::KMS::Key")
	assert.Equal(t, "${"+key.LogicalID+".Arn}", testutil.Render(byDefault["KMSMasterKeyID"]))
	assert.Equal(t, true, sse["BucketKeyEnabled"])
	assert.Equal(t, "Enabled", p["VersioningConfiguration"].(map[string]any)["Status"])
	assert.Equal(t, map[string]any{
		"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
	}, p["PublicAccessBlockConfiguration"])
	logging := p["LoggingConfiguration"].(map[string]any)
	assert.Equal(t, "artifacts/", logging["LogFilePrefix"])
	assert.NotEqual(t, "${"+bucket.LogicalID+"}", testutil.Render(logging["DestinationBucketName"]), "logs go to a second bucket")
	rules := p["LifecycleConfiguration"].(map[string]any)["Rules"]
	assert.Equal(t, 90.0, testutil.Item(t, rules, 0)["NoncurrentVersionExpiration"].(map[string]any)["NoncurrentDays"])
	assert.Equal(t, "codebuild-cache/", testutil.Item(t, rules, 1)["Prefix"], "only the build caches expire")
	assert.Equal(t, "Retain", bucket.Raw["DeletionPolicy"])
	assert.Equal(t, "Retain", bucket.Raw["UpdateReplacePolicy"])

	assert.Equal(t, true, key.Properties["EnableKeyRotation"])
	assert.Equal(t, "Retain", key.Raw["DeletionPolicy"])

	var tlsOnly bool
	for _, s := range tpl.AllStatements() {
		if s.Effect == "Deny" && s.HasAction("s3:*") {
			if c, ok := s.Conditions["Bool"].(map[string]any); ok && c["aws:SecureTransport"] == "false" {
				for _, r := range s.Resources {
					tlsOnly = tlsOnly || r == "${"+bucket.LogicalID+".Arn}"
				}
			}
		}
	}
	assert.True(t, tlsOnly, "the artifact bucket's policy denies requests without TLS")
}

func TestDestroyOptInDeletesBucketsWithTheirObjects(t *testing.T) {
	tpl := sandboxTemplate(t)
	for _, b := range tpl.Resources("AWS::S3::Bucket") {
		assert.Equal(t, "Delete", b.Raw["DeletionPolicy"], b.LogicalID)
	}
	autoDelete := tpl.Resources("Custom::S3AutoDeleteObjects")
	assert.Len(t, autoDelete, 2, "both buckets are emptied before deletion")
	assert.Equal(t, "Delete", tpl.One(t, "AWS::SageMaker::ModelPackageGroup").Raw["DeletionPolicy"])
	assert.Empty(t, defaultTemplate(t).Resources("Custom::S3AutoDeleteObjects"), "nothing is auto-deleted by default")
}

func TestModelRegistryIsAnExplicitRetainedGroup(t *testing.T) {
	group := defaultTemplate(t).One(t, "AWS::SageMaker::ModelPackageGroup")
	assert.Equal(t, "abalone-p-abalonedemo1", group.Properties["ModelPackageGroupName"])
	assert.Equal(t, "Retain", group.Raw["DeletionPolicy"])
	assert.Equal(t, "Retain", group.Raw["UpdateReplacePolicy"])
}

func TestModelBuildRepositoryIsSeededOnTheBranch(t *testing.T) {
	repo := defaultTemplate(t).Named(t, "AWS::CodeCommit::Repository", "RepositoryName", "sagemaker-abalone-p-abalonedemo1-modelbuild")
	code := repo.Properties["Code"].(map[string]any)
	assert.Equal(t, "main", code["BranchName"])
	assert.Regexp(t, `^[0-9a-f]{64}\.zip$`, code["S3"].(map[string]any)["Key"])

	sandbox := sandboxTemplate(t).Named(t, "AWS::CodeCommit::Repository", "RepositoryName", "sagemaker-Churn-p-sandbox01-modelbuild")
	assert.Equal(t, "develop", sandbox.Properties["Code"].(map[string]any)["BranchName"])
}

func TestModelBuildProjectRunsThePipelineWithTheOriginalsEnvironment(t *testing.T) {
	tpl := defaultTemplate(t)
	project := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modelbuild")
	p := project.Properties
	assert.Equal(t, 480.0, p["TimeoutInMinutes"])
	assert.Equal(t, "${"+tpl.One(t, "AWS::KMS::Key").LogicalID+".Arn}", testutil.Render(p["EncryptionKey"]))
	env := p["Environment"].(map[string]any)
	assert.Equal(t, buildproject.Image, env["Image"])
	assert.Equal(t, false, env["PrivilegedMode"])
	vars := map[string]string{}
	for _, v := range env["EnvironmentVariables"].([]any) {
		vm := v.(map[string]any)
		assert.Equal(t, "PLAINTEXT", vm["Type"])
		vars[vm["Name"].(string)] = testutil.Render(vm["Value"])
	}
	bucket := tpl.Named(t, "AWS::S3::Bucket", "BucketName", "sagemaker-project-p-abalonedemo1").LogicalID
	assert.Equal(t, map[string]string{
		"SAGEMAKER_PROJECT_NAME":      "abalone",
		"SAGEMAKER_PROJECT_ID":        "p-abalonedemo1",
		"SAGEMAKER_PROJECT_NAME_ID":   "abalone-p-abalonedemo1",
		"SAGEMAKER_PIPELINE_NAME":     "abalone-p-abalonedemo1",
		"SAGEMAKER_PIPELINE_ROLE_ARN": "${" + pipelineRole(t, tpl).LogicalID + ".Arn}",
		"MODEL_PACKAGE_GROUP_NAME":    "abalone-p-abalonedemo1",
		"ARTIFACT_BUCKET":             "${" + bucket + "}",
		"ARTIFACT_BUCKET_KMS_KEY_ARN": "${" + tpl.One(t, "AWS::KMS::Key").LogicalID + ".Arn}",
		"AWS_REGION":                  "${AWS::Region}",
		"PROCESSING_INSTANCE_TYPE":    "ml.m5.xlarge",
		"TRAINING_INSTANCE_TYPE":      "ml.m5.xlarge",
	}, vars)
	assert.Equal(t, "codebuild-buildspec.yml", p["Source"].(map[string]any)["BuildSpec"])

	logs := tpl.Named(t, "AWS::Logs::LogGroup", "LogGroupName", "/aws/codebuild/sagemaker-abalone-p-abalonedemo1-modelbuild")
	assert.Equal(t, 90.0, logs.Properties["RetentionInDays"])
	assert.Equal(t, "${"+logs.LogicalID+"}", testutil.Render(p["LogsConfig"].(map[string]any)["CloudWatchLogs"].(map[string]any)["GroupName"]))

	sandbox := sandboxTemplate(t)
	for _, lg := range sandbox.Resources("AWS::Logs::LogGroup") {
		assert.Equal(t, 7.0, lg.Properties["RetentionInDays"], lg.Properties["LogGroupName"])
	}
	for _, v := range sandbox.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-Churn-p-sandbox01-modelbuild").Properties["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		if vm := v.(map[string]any); vm["Name"] == "TRAINING_INSTANCE_TYPE" {
			assert.Equal(t, "ml.c5.xlarge", vm["Value"])
		}
	}
}

func TestModelBuildPipelineIsSourceThenBuildStartedByAPushEvent(t *testing.T) {
	tpl := defaultTemplate(t)
	pipeline := tpl.Named(t, "AWS::CodePipeline::Pipeline", "Name", "sagemaker-abalone-p-abalonedemo1-modelbuild")
	p := pipeline.Properties
	assert.Equal(t, "V2", p["PipelineType"])
	stages := p["Stages"].([]any)
	require.Len(t, stages, 2)
	source := stages[0].(map[string]any)
	build := stages[1].(map[string]any)
	assert.Equal(t, "Source", source["Name"])
	assert.Equal(t, "Build", build["Name"])
	srcAction := testutil.Only(t, source["Actions"])
	assert.Equal(t, "CodeCommit", srcAction["ActionTypeId"].(map[string]any)["Provider"])
	cfg := srcAction["Configuration"].(map[string]any)
	assert.Equal(t, "main", cfg["BranchName"])
	assert.Equal(t, false, cfg["PollForSourceChanges"], "no polling: an EventBridge rule starts the pipeline")
	buildAction := testutil.Only(t, build["Actions"])
	assert.Equal(t, "CodeBuild", buildAction["ActionTypeId"].(map[string]any)["Provider"])
	buildProject := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modelbuild")
	assert.Equal(t, "${"+buildProject.LogicalID+"}", testutil.Render(buildAction["Configuration"].(map[string]any)["ProjectName"]))

	repo := tpl.Named(t, "AWS::CodeCommit::Repository", "RepositoryName", "sagemaker-abalone-p-abalonedemo1-modelbuild")
	rule := pushRule(t, tpl, repo.LogicalID)
	pattern := rule.Properties["EventPattern"].(map[string]any)
	assert.Equal(t, []any{"aws.codecommit"}, pattern["source"])
	assert.Equal(t, []any{"CodeCommit Repository State Change"}, pattern["detail-type"])
	assert.Equal(t, []any{"main"}, pattern["detail"].(map[string]any)["referenceName"])
	target := testutil.Only(t, rule.Properties["Targets"])
	assert.True(t, strings.HasSuffix(testutil.Render(target["Arn"]), ":${"+pipeline.LogicalID+"}"), testutil.Render(target["Arn"]))

	sandbox := sandboxTemplate(t)
	sandboxRepo := sandbox.Named(t, "AWS::CodeCommit::Repository", "RepositoryName", "sagemaker-Churn-p-sandbox01-modelbuild")
	sandboxRule := pushRule(t, sandbox, sandboxRepo.LogicalID)
	assert.Equal(t, []any{"develop"}, sandboxRule.Properties["EventPattern"].(map[string]any)["detail"].(map[string]any)["referenceName"])
}

// pushRule is the EventBridge rule matching pushes to the repository with the given
// logical id.
func pushRule(t *testing.T, tpl testutil.Template, repoID string) testutil.Resource {
	t.Helper()
	for _, r := range tpl.Resources("AWS::Events::Rule") {
		pattern, _ := r.Properties["EventPattern"].(map[string]any)
		if res, ok := pattern["resources"].([]any); ok && len(res) == 1 && testutil.Render(res[0]) == "${"+repoID+".Arn}" {
			return r
		}
	}
	t.Fatalf("no push rule for repository %s", repoID)
	return testutil.Resource{}
}

func pipelineRole(t *testing.T, tpl testutil.Template) testutil.Resource {
	t.Helper()
	for _, r := range tpl.Resources("AWS::IAM::Role") {
		for _, s := range tpl.AllStatements() {
			if s.Policy == r.LogicalID && s.HasAction("sts:AssumeRole") && len(s.Principals) == 1 && s.Principals[0] == "Service:sagemaker.amazonaws.com" {
				return r
			}
		}
	}
	t.Fatal("no role assumed by SageMaker")
	return testutil.Resource{}
}

func TestSageMakerPipelineRoleIsLimitedToTheProject(t *testing.T) {
	tpl := defaultTemplate(t)
	role := pipelineRole(t, tpl)
	bySid := map[string]testutil.Statement{}
	for _, s := range tpl.RoleStatements(role.LogicalID) {
		if s.Sid != "" {
			bySid[s.Sid] = s
		}
	}
	jobs := bySid["RunPipelineJobs"]
	assert.ElementsMatch(t, []string{
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:processing-job/pipelines-*",
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:processing-job/abalone-p-abalonedemo1-*",
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:training-job/pipelines-*",
		"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:training-job/abalone-p-abalonedemo1-*",
	}, jobs.Resources)
	assert.True(t, jobs.HasAction("sagemaker:CreateTrainingJob"))
	pass := bySid["PassRoleToJobs"]
	assert.Equal(t, []string{"${" + role.LogicalID + ".Arn}"}, pass.Resources, "the role passes only itself")
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"}}, pass.Conditions)

	var registers, bucketObjects bool
	for _, s := range tpl.RoleStatements(role.LogicalID) {
		if s.HasAction("sagemaker:CreateModelPackage") {
			registers = true
			assert.ElementsMatch(t, []string{
				"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package-group/abalone-p-abalonedemo1",
				"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/abalone-p-abalonedemo1/*",
			}, s.Resources)
		}
		if s.HasAction("s3:PutObject") {
			bucketObjects = true
			assert.Len(t, s.Resources, 1)
			assert.True(t, strings.HasSuffix(s.Resources[0], ".Arn}/*"), s.Resources[0])
		}
	}
	assert.True(t, registers, "the pipeline registers model versions in the group")
	assert.True(t, bucketObjects, "the pipeline writes to the artifact bucket")
}

func TestSageMakerResourceArnsAreLowercasedLikeSageMakerDoes(t *testing.T) {
	tpl := sandboxTemplate(t)
	for _, s := range tpl.RoleStatements(pipelineRole(t, tpl).LogicalID) {
		for _, r := range s.Resources {
			if strings.Contains(r, ":sagemaker:") {
				assert.NotContains(t, r, "Churn", "IAM compares ARNs case-sensitively and SageMaker lowercases names")
			}
		}
	}
	assert.Equal(t, "Churn-p-sandbox01", tpl.One(t, "AWS::SageMaker::ModelPackageGroup").Properties["ModelPackageGroupName"])
}

func TestBuildRolePassesOnlyThePipelineRoleAndRunsOnlyThisPipeline(t *testing.T) {
	tpl := defaultTemplate(t)
	project := tpl.Named(t, "AWS::CodeBuild::Project", "Name", "sagemaker-abalone-p-abalonedemo1-modelbuild")
	buildRole := strings.TrimSuffix(strings.TrimPrefix(testutil.Render(project.Properties["ServiceRole"]), "${"), ".Arn}")
	var passes, runs int
	for _, s := range tpl.RoleStatements(buildRole) {
		if s.HasAction("iam:PassRole") {
			passes++
			assert.Equal(t, []string{"${" + pipelineRole(t, tpl).LogicalID + ".Arn}"}, s.Resources)
		}
		if s.HasAction("sagemaker:StartPipelineExecution") {
			runs++
			assert.ElementsMatch(t, []string{
				"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/abalone-p-abalonedemo1",
				"arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:pipeline/abalone-p-abalonedemo1/execution/*",
			}, s.Resources)
		}
	}
	assert.Equal(t, 1, passes)
	assert.Equal(t, 1, runs)
}

// serviceWideActions are the only actions that may be granted on every resource,
// because their services support no resource-level permissions for them.
var serviceWideActions = map[string]bool{
	"cloudwatch:PutMetricData":                        true,
	"ecr:GetAuthorizationToken":                       true,
	"sagemaker:ListModelPackages":                     true,
	"application-autoscaling:DescribeScalableTargets": true,
	"application-autoscaling:DescribeScalingPolicies": true,
	// CloudWatch Logs' log delivery, which Step Functions uses for the seeding waiter's
	// logs.
	"logs:CreateLogDelivery": true, "logs:GetLogDelivery": true, "logs:UpdateLogDelivery": true,
	"logs:DeleteLogDelivery": true, "logs:ListLogDeliveries": true, "logs:PutResourcePolicy": true,
	"logs:DescribeResourcePolicies": true, "logs:DescribeLogGroups": true,
}

// waiterLogActions are granted on every resource to the seeding waiter state machine
// only, as CDK grants them and AWS documents them for Step Functions logging.
var waiterLogActions = map[string]bool{"logs:CreateLogStream": true, "logs:PutLogEvents": true}

func TestNoWildcardActionsAndStarResourcesOnlyWhereServicesRequireThem(t *testing.T) {
	for name, c := range map[string]struct {
		tpl     testutil.Template
		account string // how the stack's template names its own account: partition:iam::account
	}{
		"default": {defaultTemplate(t), "${AWS::Partition}:iam::${AWS::AccountId}"}, "sandbox": {sandboxTemplate(t), "${AWS::Partition}:iam::${AWS::AccountId}"},
		"connections":    {projectTemplate(t, bothConnections()), "${AWS::Partition}:iam::${AWS::AccountId}"},
		"three accounts": {multiAccount(t)["project"], "aws:iam::111111111111"}, "three accounts, staging": {multiAccount(t)["staging"], "aws:iam::222222222222"},
	} {
		tpl := c.tpl
		keys := map[string]bool{}
		for _, k := range tpl.Resources("AWS::KMS::Key") {
			keys[k.LogicalID] = true
		}
		for _, s := range tpl.AllStatements() {
			// A key policy must let its own account's IAM policies govern the key (kms:*
			// to the account root), or nobody could ever manage it again.
			keyAdmin := keys[s.Policy] && len(s.Principals) == 1 && s.Principals[0] == "AWS:arn:"+c.account+":root"
			for _, a := range s.Actions {
				assert.NotEqual(t, "*", a, "%s: %s grants every action", name, s.Policy)
				if s.Effect == "Allow" && !(keyAdmin && a == "kms:*") {
					assert.False(t, strings.HasSuffix(a, ":*"), "%s: %s allows every action of a service: %s", name, s.Policy, a)
				}
			}
			if s.Effect != "Allow" || len(s.Principals) > 0 {
				continue // deny statements, and resource policies (whose resource is the key or bucket itself)
			}
			for _, r := range s.Resources {
				if r == "*" {
					for _, a := range s.Actions {
						waiter := waiterLogActions[a] && strings.Contains(s.Policy, "waiterstatemachine")
						assert.True(t, serviceWideActions[a] || waiter, "%s: %s grants %s on every resource", name, s.Policy, a)
					}
				}
			}
		}
	}
}

func TestEveryTaggableResourceCarriesTheProjectTags(t *testing.T) {
	tpl := defaultTemplate(t)
	untaggable := map[string]bool{
		"AWS::IAM::Policy": true, "AWS::S3::BucketPolicy": true, "AWS::KMS::Alias": true, "AWS::CDK::Metadata": true,
		"AWS::SNS::TopicPolicy": true, "AWS::SNS::Subscription": true, "AWS::Lambda::Permission": true,
	}
	all, _ := tpl["Resources"].(map[string]any)
	for id, r := range all {
		res := r.(map[string]any)
		typ := res["Type"].(string)
		if untaggable[typ] {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		tags, _ := props["Tags"].(map[string]any) // a map for CodeStar notification rules
		if tags == nil {
			tags = map[string]any{}
		}
		for _, tag := range toList(props["Tags"]) {
			tm := tag.(map[string]any)
			tags[tm["Key"].(string)] = tm["Value"]
		}
		assert.Equal(t, "abalone", tags["sagemaker:project-name"], "%s (%s)", id, typ)
		assert.Equal(t, "p-abalonedemo1", tags["sagemaker:project-id"], "%s (%s)", id, typ)
	}
}

func toList(v any) []any {
	l, _ := v.([]any)
	return l
}
