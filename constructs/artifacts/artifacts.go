// Package artifacts provides the project's artifact bucket: the S3 bucket that holds
// pipeline and build artifacts, SageMaker pipeline outputs, model artifacts and
// endpoint data capture, encrypted with a customer-managed KMS key.
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
// access logs in a second bucket.
type ArtifactBucket struct {
	constructs.Construct
	// Bucket is the artifact bucket, `sagemaker-project-<id>`.
	Bucket awss3.Bucket
	// Key encrypts the bucket's objects; rotation is on. Builds, pipelines and jobs
	// that use the bucket use this key too.
	Key awskms.Key
	// AccessLogs receives the bucket's server access logs (SSE-S3, since S3 log
	// delivery cannot write with a customer-managed key).
	AccessLogs awss3.Bucket
}

// NewArtifactBucket creates the key, the access-log bucket and the artifact bucket.
// It panics when Project is invalid.
func NewArtifactBucket(scope constructs.Construct, id string, props *ArtifactBucketProps) *ArtifactBucket {
	props.Project.MustValidate()
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	destroy := removal == awscdk.RemovalPolicy_DESTROY
	noncurrent := props.NoncurrentVersionExpiration
	if noncurrent == nil {
		noncurrent = awscdk.Duration_Days(jsii.Number(90))
	}
	logExpiry := props.AccessLogExpiration
	if logExpiry == nil {
		logExpiry = awscdk.Duration_Days(jsii.Number(365))
	}

	c := constructs.NewConstruct(scope, &id)
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Alias:             jsii.String(props.Project.KeyAliasName()),
		Description:       jsii.String("Encrypts the artifacts of SageMaker project " + props.Project.NameID()),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	// No ObjectOwnership here: CDK grants S3 log delivery by bucket policy or by ACL
	// depending on the app's feature flags, and picks the ownership that goes with it.
	logs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		RemovalPolicy:     removal,
		AutoDeleteObjects: jsii.Bool(destroy),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("ExpireAccessLogs"),
			Expiration: logExpiry,
		}},
	})
	nag.Suppress(logs, nag.Rule{ID: "AwsSolutions-S1", Reason: "This bucket is the destination of the artifact bucket's server access logs; logging it into itself would loop."})
	bucket := awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
		BucketName:             jsii.String(props.Project.BucketName()),
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
		}},
	})
	if destroy {
		cfnfix.ProviderRoleDependency(awscdk.Stack_Of(c), "Custom::S3AutoDeleteObjectsCustomResourceProvider")
	}
	return &ArtifactBucket{Construct: c, Bucket: bucket, Key: key, AccessLogs: logs}
}

// ObjectsFinding is how cdk-nag reports a grant on the objects under prefix ("" for
// all), for constructs that explain such a grant.
func (a *ArtifactBucket) ObjectsFinding(prefix string) string {
	return "Resource::" + nag.Attr(a.Bucket, "Arn") + "/" + nag.Text(a.Bucket, prefix) + "*"
}

// GrantStageAccount lets the roles under rolePath in another account (the model
// roles of the project's endpoints there) read the objects under readPrefix and write
// captured data under each of capturePrefixes, using the key through S3 only. The
// statements go to the bucket's and the key's policies, with the account as principal
// and the role path as condition, each account once per statement.
func (a *ArtifactBucket) GrantStageAccount(account, rolePath, readPrefix string, capturePrefixes ...string) {
	stack := awscdk.Stack_Of(a.Bucket)
	principal := awsiam.NewAccountPrincipal(jsii.String(account))
	roles := map[string]interface{}{"ArnLike": map[string]interface{}{
		"aws:PrincipalArn": "arn:" + *stack.Partition() + ":iam::" + account + ":role" + rolePath + "*",
	}}
	sid := "Account" + account
	a.Bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ReadModelArtifacts" + sid),
		Principals: &[]awsiam.IPrincipal{principal},
		Actions:    jsii.Strings("s3:GetObject", "s3:GetObjectVersion"),
		Resources:  &[]*string{a.ObjectsArn(readPrefix)},
		Conditions: &roles,
	}))
	keyActions := []string{"kms:Decrypt"}
	if len(capturePrefixes) > 0 {
		var captured []*string
		for _, prefix := range capturePrefixes {
			captured = append(captured, a.ObjectsArn(prefix+"/"))
		}
		a.Bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("WriteCapturedData" + sid),
			Principals: &[]awsiam.IPrincipal{principal},
			Actions:    jsii.Strings("s3:PutObject", "s3:AbortMultipartUpload"),
			Resources:  &captured,
			Conditions: &roles,
		}))
		keyActions = append(keyActions, "kms:GenerateDataKey", "kms:Encrypt")
	}
	viaS3 := map[string]interface{}{
		"ArnLike":      roles["ArnLike"],
		"StringEquals": map[string]interface{}{"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"},
	}
	a.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("UseThroughS3" + sid),
		Principals: &[]awsiam.IPrincipal{principal},
		Actions:    jsii.Strings(keyActions...),
		Resources:  jsii.Strings("*"),
		Conditions: &viaS3,
	}), nil)
	// SageMaker checks a capture key when the endpoint config is created, with the
	// credentials of whoever creates it (CloudFormation in the stage account).
	a.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("Describe" + sid),
		Principals: &[]awsiam.IPrincipal{principal},
		Actions:    jsii.Strings("kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
	}), nil)
}

// PipelineArtifactsRule accepts the wildcards of the grants CDK gives a CodePipeline
// that stores its artifacts in this bucket, and its actions' roles.
func (a *ArtifactBucket) PipelineArtifactsRule() nag.Rule {
	return nag.PipelineArtifactsRule(a.Bucket)
}

// ObjectsArn is the ARN of the objects under prefix ("" for every object).
func (a *ArtifactBucket) ObjectsArn(prefix string) *string {
	return a.Bucket.ArnForObjects(jsii.String(prefix + "*"))
}

// GrantRead lets grantee list the bucket and read objects under prefix ("" for all),
// decrypting with the key.
func (a *ArtifactBucket) GrantRead(grantee awsiam.IGrantable, prefix string) {
	a.grant(grantee, prefix, []string{"s3:GetObject", "s3:GetObjectVersion"}, []string{"kms:Decrypt"})
}

// GrantReadWrite lets grantee list the bucket, and read, write and delete objects under
// prefix ("" for all), with the key.
func (a *ArtifactBucket) GrantReadWrite(grantee awsiam.IGrantable, prefix string) {
	a.grant(grantee, prefix,
		[]string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
		[]string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"})
}

// GrantWrite lets grantee write objects under prefix ("" for all), encrypting with the
// key, without reading anything back.
func (a *ArtifactBucket) GrantWrite(grantee awsiam.IGrantable, prefix string) {
	awsiam.Grant_AddToPrincipalOrResource(&awsiam.GrantWithResourceOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:PutObject", "s3:AbortMultipartUpload"),
		ResourceArns: &[]*string{a.ObjectsArn(prefix)},
		Resource:     a.Bucket,
	})
	a.Key.Grant(grantee, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Encrypt"))
}

func (a *ArtifactBucket) grant(grantee awsiam.IGrantable, prefix string, objectActions, keyActions []string) {
	awsiam.Grant_AddToPrincipalOrResource(&awsiam.GrantWithResourceOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:ListBucket", "s3:GetBucketLocation"),
		ResourceArns: &[]*string{a.Bucket.BucketArn()},
		Resource:     a.Bucket,
	})
	awsiam.Grant_AddToPrincipalOrResource(&awsiam.GrantWithResourceOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings(objectActions...),
		ResourceArns: &[]*string{a.ObjectsArn(prefix)},
		Resource:     a.Bucket,
	})
	a.Key.Grant(grantee, *jsii.Strings(keyActions...)...)
}
