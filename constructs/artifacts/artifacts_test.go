package artifacts_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var churn = project.Identity{Name: "Churn", ID: "p-churn0001"}

var env = &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}

// fixture is one stack with a bucket created with the defaults, an imported bucket
// and a reference to another account's project, each granted to a role of its own;
// and a second stack whose bucket is destroyed with the stack. Both are synthesized
// once.
type fixture struct {
	tpl, sandbox                       testutil.Template
	created, imported, referenced, cap string
	grants                             map[string]awsiam.Grant
}

var synthesized *fixture

func stores(t *testing.T) *fixture {
	if synthesized != nil {
		return synthesized
	}
	app := testutil.NewApp(t, "", nil)
	stack := awscdk.NewStack(app, jsii.String("Stores"), &awscdk.StackProps{Env: env})
	role := func(id string) awsiam.Role {
		return awsiam.NewRole(stack, jsii.String(id), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil)})
	}
	created, imported, referenced, capture := role("CreatedUser"), role("ImportedUser"), role("ReferenceUser"), role("CaptureUser")
	bucket := artifacts.NewArtifactBucket(stack, "Artifacts", &artifacts.ArtifactBucketProps{Project: churn})
	own := artifacts.FromBucketAttributes(stack, "Own", &artifacts.ArtifactBucketAttributes{
		Bucket: awss3.Bucket_FromBucketName(stack, jsii.String("OwnBucket"), jsii.String("team-ml-artifacts")),
		Key:    awskms.Key_FromKeyArn(stack, jsii.String("OwnKey"), jsii.String("arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
	})
	ref := artifacts.Reference{Scope: stack, Project: project.Identity{Name: "Fraud", ID: "p-fraud0001"}, Account: "999999999999"}
	f := &fixture{grants: map[string]awsiam.Grant{
		"created read":      bucket.GrantRead(created, "models/"),
		"created readwrite": bucket.GrantReadWrite(created, ""),
		"imported write":    own.GrantWrite(imported, "capture/"),
		"reference read":    ref.GrantRead(referenced, "Fraud-p-fraud0001/"),
		"reference write":   ref.GrantWrite(capture, "datacapture-staging/"),
		"reference list":    ref.GrantList(referenced, "datacapture-staging/ep/"),
		"reference volumes": ref.GrantVolumeEncryption(referenced),
		"created list":      bucket.GrantList(created, "datacapture-prod/ep/"),
		"created volumes":   bucket.GrantVolumeEncryption(created),
	}}
	bucket.GrantStageAccount("222222222222", "/sagemaker-project-p-churn0001/", artifacts.StageAccountAccess{
		ReadPrefix: "Churn-p-churn0001/", CapturePrefixes: []string{"datacapture-staging"},
		Monitored: []artifacts.MonitoredCaptures{{CapturedPrefix: "datacapture-staging/churn-p-churn0001-staging/", ReportsPrefix: "monitoring-staging/"}},
	})
	bucket.GrantStageAccount("333333333333", "/sagemaker-project-p-churn0001/", artifacts.StageAccountAccess{ReadPrefix: "Churn-p-churn0001/"})

	sandbox := awscdk.NewStack(app, jsii.String("Sandbox"), &awscdk.StackProps{Env: env})
	artifacts.NewArtifactBucket(sandbox, "Artifacts", &artifacts.ArtifactBucketProps{
		Project: churn, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(7)), AccessLogExpiration: awscdk.Duration_Days(jsii.Number(30)),
	})

	f.tpl, f.sandbox = testutil.Synth(t, stack), testutil.Synth(t, sandbox)
	id := func(r awsiam.Role) string { return *stack.GetLogicalId(r.Node().DefaultChild().(awscdk.CfnElement)) }
	f.created, f.imported, f.referenced, f.cap = id(created), id(imported), id(referenced), id(capture)
	synthesized = f
	return f
}

// byAction maps each action of a role's statements to the resources it is granted on.
func byAction(statements []testutil.Statement) map[string][]string {
	out := map[string][]string{}
	for _, s := range statements {
		for _, a := range s.Actions {
			out[a] = append(out[a], s.Resources...)
		}
	}
	return out
}

// The documented defaults hold on the construct itself: everything is retained,
// noncurrent versions expire after 90 days, access logs after 365.
func TestTheBucketKeepsEverythingByDefault(t *testing.T) {
	tpl := stores(t).tpl
	buckets := tpl.Resources("AWS::S3::Bucket")
	require.Len(t, buckets, 2)
	for _, b := range buckets {
		assert.Equal(t, "Retain", b.Raw["DeletionPolicy"], b.LogicalID)
	}
	key := tpl.One(t, "AWS::KMS::Key")
	assert.Equal(t, "Retain", key.Raw["DeletionPolicy"])
	assert.Equal(t, true, key.Properties["EnableKeyRotation"])
	assert.Empty(t, tpl.Resources("Custom::S3AutoDeleteObjects"), "nothing empties a retained bucket")

	artifactsBucket := tpl.Named(t, "AWS::S3::Bucket", "BucketName", "sagemaker-project-p-churn0001")
	assert.Equal(t, []any{map[string]any{"Id": "ExpireNoncurrentVersions", "Status": "Enabled",
		"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": float64(90)},
		"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": float64(7)}},
		map[string]any{"Id": "ExpireBuildCaches", "Status": "Enabled", "Prefix": "codebuild-cache/", "ExpirationInDays": float64(30)}},
		artifactsBucket.Properties["LifecycleConfiguration"].(map[string]any)["Rules"])
	assert.Equal(t, "Enabled", artifactsBucket.Properties["VersioningConfiguration"].(map[string]any)["Status"])
	for _, b := range buckets {
		if b.LogicalID != artifactsBucket.LogicalID {
			assert.Equal(t, []any{map[string]any{"Id": "ExpireAccessLogs", "Status": "Enabled", "ExpirationInDays": float64(365),
				"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": float64(30)}}},
				b.Properties["LifecycleConfiguration"].(map[string]any)["Rules"])
			assert.Equal(t, "Enabled", b.Properties["VersioningConfiguration"].(map[string]any)["Status"], "the access logs are versioned too")
		}
	}
	assert.Equal(t, "alias/sagemaker-project-p-churn0001", tpl.One(t, "AWS::KMS::Alias").Properties["AliasName"])
}

// With RemovalPolicy DESTROY, both buckets are emptied and deleted and the key is
// scheduled for deletion; the durations given replace the defaults.
func TestADestroyedBucketIsEmptiedAndTheDurationsAreThoseGiven(t *testing.T) {
	tpl := stores(t).sandbox
	buckets := tpl.Resources("AWS::S3::Bucket")
	require.Len(t, buckets, 2)
	for _, b := range buckets {
		assert.Equal(t, "Delete", b.Raw["DeletionPolicy"], b.LogicalID)
	}
	assert.Len(t, tpl.Resources("Custom::S3AutoDeleteObjects"), 2)
	assert.Equal(t, "Delete", tpl.One(t, "AWS::KMS::Key").Raw["DeletionPolicy"])
	// The first rule: the artifact bucket's second expires the build caches.
	rules := func(b testutil.Resource) map[string]any {
		list := b.Properties["LifecycleConfiguration"].(map[string]any)["Rules"].([]any)
		require.NotEmpty(t, list)
		return list[0].(map[string]any)
	}
	for _, b := range buckets {
		if b.Properties["BucketName"] == "sagemaker-project-p-churn0001" {
			assert.Equal(t, map[string]any{"NoncurrentDays": float64(7)}, rules(b)["NoncurrentVersionExpiration"])
		} else {
			assert.Equal(t, float64(30), rules(b)["ExpirationInDays"])
		}
	}
}

func TestGrantsReturnTheirGrant(t *testing.T) {
	for name, g := range stores(t).grants {
		assert.True(t, *g.Success(), name)
	}
}

// A grant on a prefix covers the objects under that prefix only, and the key.
func TestGrantsOfACreatedBucketAreScopedToThePrefix(t *testing.T) {
	f := stores(t)
	actions := byAction(f.tpl.RoleStatements(f.created))
	assert.ElementsMatch(t, []string{"${ArtifactsBucket88671897.Arn}/models/*", "${ArtifactsBucket88671897.Arn}/*"}, actions["s3:GetObject"])
	assert.Equal(t, []string{"${ArtifactsBucket88671897.Arn}/*"}, actions["s3:PutObject"])
	assert.Contains(t, actions, "kms:Decrypt")
	assert.Contains(t, actions, "kms:GenerateDataKey")
}

// An imported bucket and key are granted on their own ARNs, in the grantee's policy.
func TestGrantsOfAnImportedBucketUseItsArns(t *testing.T) {
	f := stores(t)
	actions := byAction(f.tpl.RoleStatements(f.imported))
	assert.Equal(t, []string{"arn:aws:s3:::team-ml-artifacts/capture/*"}, actions["s3:PutObject"])
	assert.Equal(t, []string{"arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, actions["kms:GenerateDataKey"])
	assert.NotContains(t, actions, "s3:GetObject", "a write grant reads nothing back")
}

// A reference reaches another account's project bucket by name and its key by alias.
func TestAReferenceGrantsTheProjectsBucketAndAliasedKey(t *testing.T) {
	f := stores(t)
	statements := f.tpl.RoleStatements(f.referenced)
	actions := byAction(statements)
	assert.Equal(t, []string{"arn:aws:s3:::sagemaker-project-p-fraud0001/Fraud-p-fraud0001/*"}, actions["s3:GetObject"])
	assert.Equal(t, []string{"arn:aws:kms:eu-west-1:999999999999:key/*"}, actions["kms:Decrypt"])
	for _, s := range statements {
		if s.HasAction("kms:Decrypt") {
			assert.Equal(t, map[string]any{"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": "alias/sagemaker-project-p-fraud0001"}}, s.Conditions)
		}
	}
	assert.Equal(t, []string{"arn:aws:s3:::sagemaker-project-p-fraud0001/datacapture-staging/*"}, byAction(f.tpl.RoleStatements(f.cap))["s3:PutObject"])
}

// A stage account's model roles, and only those under the role path, read the model
// artifacts, write their captured data, list and read the captured data of the
// endpoints they monitor and write the reports, using the key through S3 only; an
// account that captures nothing writes nothing.
func TestAStageAccountIsTrustedForItsRolePathOnly(t *testing.T) {
	tpl := stores(t).tpl
	sids := map[string]testutil.Statement{}
	for _, s := range tpl.AllStatements() {
		if s.Sid != "" {
			sids[s.Sid] = s
		}
	}
	roles := map[string]any{"aws:PrincipalArn": "arn:aws:iam::222222222222:role/sagemaker-project-p-churn0001/*"}
	read := sids["ReadModelArtifactsAccount222222222222"]
	assert.Equal(t, []string{"${ArtifactsBucket88671897.Arn}/Churn-p-churn0001/*"}, read.Resources)
	assert.Equal(t, map[string]any{"ArnLike": roles}, renderConditions(read.Conditions))
	write := sids["WriteCapturedDataAccount222222222222"]
	assert.Equal(t, []string{"${ArtifactsBucket88671897.Arn}/datacapture-staging/*"}, write.Resources)
	list := sids["ListCapturedDataAccount222222222222"]
	assert.Equal(t, []string{"s3:ListBucket"}, list.Actions)
	assert.Equal(t, []string{"${ArtifactsBucket88671897.Arn}"}, list.Resources)
	assert.Equal(t, map[string]any{"ArnLike": roles}, renderConditions(map[string]any{"ArnLike": list.Conditions["ArnLike"]}))
	assert.Equal(t, map[string]any{"s3:prefix": []any{"datacapture-staging/churn-p-churn0001-staging/*"}}, list.Conditions["StringLike"])
	assert.Equal(t, []string{"${ArtifactsBucket88671897.Arn}/datacapture-staging/churn-p-churn0001-staging/*"}, sids["ReadCapturedDataAccount222222222222"].Resources)
	reports := sids["WriteMonitoringReportsAccount222222222222"]
	assert.Equal(t, []string{"${ArtifactsBucket88671897.Arn}/monitoring-staging/*"}, reports.Resources)
	assert.ElementsMatch(t, []string{"s3:PutObject", "s3:AbortMultipartUpload"}, reports.Actions)
	key := sids["UseThroughS3Account222222222222"]
	assert.ElementsMatch(t, []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"}, key.Actions)
	assert.Equal(t, map[string]any{"ArnLike": roles, "StringEquals": map[string]any{"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}, renderConditions(key.Conditions))
	assert.Equal(t, []string{"kms:DescribeKey"}, sids["DescribeAccount222222222222"].Actions)

	assert.Contains(t, sids, "ReadModelArtifactsAccount333333333333")
	for _, name := range []string{"WriteCapturedData", "ListCapturedData", "ReadCapturedData", "WriteMonitoringReports"} {
		assert.NotContains(t, sids, name+"Account333333333333", "an account that captures and monitors nothing")
	}
	assert.Equal(t, []string{"kms:Decrypt"}, sids["UseThroughS3Account333333333333"].Actions)
}

// A list grant lists the keys under its prefix only; a volume grant lets SageMaker
// create grants on the key for AWS resources only, on a referenced key by its alias.
func TestListAndVolumeGrantsAreScoped(t *testing.T) {
	f := stores(t)
	for _, tc := range []struct {
		role, bucket, prefix, key string
		alias                     bool
	}{
		{f.created, "${ArtifactsBucket88671897.Arn}", "datacapture-prod/ep/*", "${ArtifactsKeyA4B22E2B.Arn}", false},
		{f.referenced, "arn:aws:s3:::sagemaker-project-p-fraud0001", "datacapture-staging/ep/*", "arn:aws:kms:eu-west-1:999999999999:key/*", true},
	} {
		found := 0
		for _, s := range f.tpl.RoleStatements(tc.role) {
			switch {
			case s.HasAction("s3:ListBucket") && s.Conditions != nil:
				found++
				assert.Equal(t, []string{tc.bucket}, s.Resources)
				assert.Equal(t, map[string]any{"StringLike": map[string]any{"s3:prefix": tc.prefix}}, renderConditions(s.Conditions))
			case s.HasAction("kms:CreateGrant"):
				found++
				assert.Equal(t, []string{tc.key}, s.Resources)
				want := map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}}
				if tc.alias {
					want["ForAnyValue:StringEquals"] = map[string]any{"kms:ResourceAliases": "alias/sagemaker-project-p-fraud0001"}
				}
				assert.Equal(t, want, renderConditions(s.Conditions))
			}
		}
		assert.Equal(t, 2, found, "one list and one volume statement")
	}
}

func renderConditions(c map[string]any) map[string]any {
	out := map[string]any{}
	for op, kv := range c {
		m := map[string]any{}
		for k, v := range kv.(map[string]any) {
			m[k] = testutil.Render(v)
		}
		out[op] = m
	}
	return out
}

func TestBadPropsPanicWithWhatIsAllowed(t *testing.T) {
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Refusals"), &awscdk.StackProps{Env: env})
	for name, tc := range map[string]struct {
		build func()
		want  string
	}{
		"an invalid project": {func() {
			artifacts.NewArtifactBucket(stack, "Bad", &artifacts.ArtifactBucketProps{Project: project.Identity{Name: "churn", ID: "P-1"}})
		}, `projectId "P-1" is invalid: use "p-" followed by 1-12 lowercase letters or digits (pattern ^p-[a-z0-9]{1,12}$)`},
		"an import without a key": {func() {
			artifacts.FromBucketAttributes(stack, "NoKey", &artifacts.ArtifactBucketAttributes{
				Bucket: awss3.Bucket_FromBucketName(stack, jsii.String("Plain"), jsii.String("plain")),
			})
		}, "artifacts.FromBucketAttributes: Bucket and Key are required: a project encrypts its artifacts with a customer-managed key"},
	} {
		assert.PanicsWithValue(t, tc.want, tc.build, name)
	}
}

// A team keeps its artifacts in a bucket of its own and lets a role read one prefix.
func ExampleFromBucketAttributes() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Team"), &awscdk.StackProps{Env: env})
	store := artifacts.FromBucketAttributes(stack, "Artifacts", &artifacts.ArtifactBucketAttributes{
		Bucket: awss3.Bucket_FromBucketName(stack, jsii.String("Bucket"), jsii.String("team-ml-artifacts")),
		Key:    awskms.Key_FromKeyArn(stack, jsii.String("Key"), jsii.String("arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
	})
	reader := awsiam.NewRole(stack, jsii.String("Reader"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil)})
	grant := store.GrantRead(reader, "models/")
	arn, _ := json.Marshal(stack.Resolve(store.ObjectsArn("models/")))
	fmt.Println(*store.BucketName(), *grant.Success())
	fmt.Println(string(arn))
	// Output:
	// team-ml-artifacts true
	// {"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::team-ml-artifacts/models/*"]]}
}

// A project's artifact bucket, kept when its stack is deleted.
func ExampleNewArtifactBucket() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Project"), &awscdk.StackProps{Env: env})
	bucket := artifacts.NewArtifactBucket(stack, "Artifacts", &artifacts.ArtifactBucketProps{
		Project: project.Identity{Name: "churn", ID: "p-churn0001"},
	})
	fmt.Println(*bucket.Bucket().Node().Path(), *bucket.AccessLogs().Node().Path())
	// Output:
	// Project/Artifacts/Bucket Project/Artifacts/AccessLogs
}
