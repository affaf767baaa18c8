// Package artifacts provides the project's artifact store: the S3 bucket that holds
// pipeline and build artifacts, SageMaker pipeline outputs, model artifacts and
// endpoint data capture, encrypted with a customer-managed KMS key. NewArtifactBucket
// creates one; FromBucketAttributes imports a bucket and key of your own; a Reference
// reaches a project's bucket from another stack or account. The constructs that use a
// store take the interfaces IArtifactBucket (same account, used by pipelines and
// builds) or IArtifactStore (read and written by SageMaker, possibly across accounts).
package artifacts

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/cfnfix"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// BuildCachePrefix is where the build projects keep, under a folder each, what they
// compiled and their caches. A created bucket expires them after BuildCacheExpiration:
// a build whose objects expired compiles again, and keeps them anew.
const BuildCachePrefix = "codebuild-cache/"

// BuildCacheExpiration is how long a created bucket keeps what is under
// BuildCachePrefix, in days.
const BuildCacheExpiration = 30

// ArtifactBucketProps configures an ArtifactBucket.
type ArtifactBucketProps struct {
	// Project names the bucket `sagemaker-project-<id>` and the key alias
	// `alias/sagemaker-project-<id>` (see Reference). Required.
	Project project.Identity
	// RemovalPolicy decides what a stack deletion does to the bucket, its access-log
	// bucket and its key. Default: awscdk.RemovalPolicy_RETAIN, everything is kept.
	// awscdk.RemovalPolicy_DESTROY empties and deletes both buckets and schedules the
	// key for deletion: meant for sandboxes.
	RemovalPolicy awscdk.RemovalPolicy
	// NoncurrentVersionExpiration is how long overwritten or deleted object versions are
	// kept. Default: 90 days.
	NoncurrentVersionExpiration awscdk.Duration
	// AccessLogExpiration is how long server access logs are kept. Default: 365 days.
	AccessLogExpiration awscdk.Duration
}

// ArtifactBucket is the project's versioned, KMS-encrypted, TLS-only bucket with server
// access logs in a second, versioned bucket. Its Bucket is `sagemaker-project-<id>`; its Key has
// rotation on, and the builds, pipelines and jobs that use the bucket use it too; its
// AccessLogs bucket is encrypted with SSE-S3, since S3 log delivery cannot write with
// a customer-managed key.
type ArtifactBucket struct {
	store
}

// NewArtifactBucket creates the key, the access-log bucket and the artifact bucket.
// It panics when Project is invalid.
func NewArtifactBucket(scope constructs.Construct, id string, props *ArtifactBucketProps) *ArtifactBucket {
	props.Project.MustValidate()
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	c := constructs.NewConstruct(scope, &id)
	key := newKey(c, props.Project, removal)
	logs := newAccessLogs(c, removal, orDays(props.AccessLogExpiration, 365))
	bucket := newBucket(c, props.Project, key, logs, removal, orDays(props.NoncurrentVersionExpiration, 90))
	return &ArtifactBucket{store{Construct: c, bucket: bucket, key: key, accessLogs: logs}}
}

func orDays(d awscdk.Duration, days float64) awscdk.Duration {
	if d == nil {
		return awscdk.Duration_Days(jsii.Number(days))
	}
	return d
}

// newKey creates the key that encrypts the bucket's objects.
func newKey(c constructs.Construct, p project.Identity, removal awscdk.RemovalPolicy) awskms.Key {
	return awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Alias:             jsii.String(p.KeyAliasName()),
		Description:       jsii.String("Encrypts the artifacts of SageMaker project " + p.NameID()),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
}

// newAccessLogs creates the bucket of the artifact bucket's server access logs.
func newAccessLogs(c constructs.Construct, removal awscdk.RemovalPolicy, expiry awscdk.Duration) awss3.Bucket {
	// No ObjectOwnership here: CDK grants S3 log delivery by bucket policy or by ACL
	// depending on the app's feature flags, and picks the ownership that goes with it.
	logs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		// Versioned, so that an overwritten or deleted log stays readable for a month.
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     removal,
		AutoDeleteObjects: jsii.Bool(removal == awscdk.RemovalPolicy_DESTROY),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                          jsii.String("ExpireAccessLogs"),
			Expiration:                  expiry,
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30)),
		}},
	})
	nag.Suppress(logs, nag.Rule{ID: "AwsSolutions-S1", Reason: "This bucket is the destination of the artifact bucket's server access logs; logging it into itself would loop."})
	return logs
}

// newBucket creates the artifact bucket.
func newBucket(c constructs.Construct, p project.Identity, key awskms.Key, logs awss3.Bucket, removal awscdk.RemovalPolicy, noncurrent awscdk.Duration) awss3.Bucket {
	destroy := removal == awscdk.RemovalPolicy_DESTROY
	bucket := awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
		BucketName:             jsii.String(p.BucketName()),
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          key,
		BucketKeyEnabled:       jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("artifacts/"),
		RemovalPolicy:          removal,
		AutoDeleteObjects:      jsii.Bool(destroy),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpireNoncurrentVersions"),
			NoncurrentVersionExpiration:         noncurrent,
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}, {
			Id:         jsii.String("ExpireBuildCaches"),
			Prefix:     jsii.String(BuildCachePrefix),
			Expiration: awscdk.Duration_Days(jsii.Number(BuildCacheExpiration)),
		}},
	})
	if destroy {
		cfnfix.AutoDeleteObjectsDependency(c)
	}
	return bucket
}

// StageAccountAccess is what the model roles of a stage account (its endpoints and
// their monitoring jobs) may do in the project's bucket.
type StageAccountAccess struct {
	// ReadPrefix holds the model artifacts and baselines they read. Required.
	ReadPrefix string
	// CapturePrefixes are where the account's endpoints write captured data. Default:
	// none, they capture nothing.
	CapturePrefixes []string
	// Monitored are the endpoints whose captured data the account's monitoring jobs
	// list and read, and where they write their reports. Default: none.
	Monitored []MonitoredCaptures
}

// MonitoredCaptures is one endpoint's captured data, which a monitoring job lists and
// reads, and where the job writes its reports.
type MonitoredCaptures struct {
	// CapturedPrefix is the endpoint's captured data, `<capture prefix>/<endpoint>/`.
	CapturedPrefix string
	// ReportsPrefix is where the job writes its reports.
	ReportsPrefix string
}

// GrantStageAccount lets the roles under rolePath in another account read, capture
// and monitor what access says, using the key through S3 only. The statements go to
// the bucket's and the key's policies, with the account as principal and the role
// path as condition, each account once per statement.
func (a *ArtifactBucket) GrantStageAccount(account, rolePath string, access StageAccountAccess) {
	stack := awscdk.Stack_Of(a.bucket)
	principal := awsiam.NewAccountPrincipal(jsii.String(account))
	roles := map[string]interface{}{"ArnLike": map[string]interface{}{
		"aws:PrincipalArn": "arn:" + *stack.Partition() + ":iam::" + account + ":role" + rolePath + "*",
	}}
	sid := "Account" + account
	allow := func(name string, actions []string, resources []*string, conditions map[string]interface{}) {
		a.bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(name + sid),
			Principals: &[]awsiam.IPrincipal{principal},
			Actions:    jsii.Strings(actions...),
			Resources:  &resources,
			Conditions: &conditions,
		}))
	}
	allow("ReadModelArtifacts", []string{"s3:GetObject", "s3:GetObjectVersion"}, []*string{a.ObjectsArn(access.ReadPrefix)}, roles)
	var captures, captured, listed, reports []*string
	for _, prefix := range access.CapturePrefixes {
		captures = append(captures, a.ObjectsArn(prefix+"/"))
	}
	for _, m := range access.Monitored {
		captured = append(captured, a.ObjectsArn(m.CapturedPrefix))
		listed = append(listed, jsii.String(m.CapturedPrefix+"*"))
		reports = append(reports, a.ObjectsArn(m.ReportsPrefix))
	}
	write := []string{"s3:PutObject", "s3:AbortMultipartUpload"}
	if len(captures) > 0 {
		allow("WriteCapturedData", write, captures, roles)
	}
	if len(access.Monitored) > 0 {
		allow("ListCapturedData", []string{"s3:ListBucket"}, []*string{a.bucket.BucketArn()}, map[string]interface{}{
			"ArnLike":    roles["ArnLike"],
			"StringLike": map[string]interface{}{"s3:prefix": listed},
		})
		allow("ReadCapturedData", []string{"s3:GetObject", "s3:GetObjectVersion"}, captured, roles)
		allow("WriteMonitoringReports", write, reports, roles)
	}
	keyActions := []string{"kms:Decrypt"}
	if len(captures)+len(reports) > 0 {
		keyActions = append(keyActions, "kms:GenerateDataKey", "kms:Encrypt")
	}
	viaS3 := map[string]interface{}{
		"ArnLike":      roles["ArnLike"],
		"StringEquals": map[string]interface{}{"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"},
	}
	a.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("UseThroughS3" + sid),
		Principals: &[]awsiam.IPrincipal{principal},
		Actions:    jsii.Strings(keyActions...),
		Resources:  jsii.Strings("*"),
		Conditions: &viaS3,
	}), nil)
	// SageMaker checks a capture key when the endpoint config is created, with the
	// credentials of whoever creates it (CloudFormation in the stage account).
	a.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("Describe" + sid),
		Principals: &[]awsiam.IPrincipal{principal},
		Actions:    jsii.Strings("kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
	}), nil)
}
