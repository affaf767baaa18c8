package artifacts

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// IArtifactStore is where SageMaker resources read model artifacts and write captured
// data: an S3 bucket and the KMS key that encrypts it. An ArtifactBucket, a bucket
// imported with FromBucketAttributes, and a Reference to a project's bucket from
// another stack or account are stores.
type IArtifactStore interface {
	// BucketName is the bucket's name.
	BucketName() *string
	// KeyArn identifies the bucket's key for SageMaker's KmsKeyId settings (the ARN of
	// the key or of its alias).
	KeyArn() *string
	// ObjectsArn is the ARN of the objects under prefix ("" for every object).
	ObjectsArn(prefix string) *string
	// GrantRead lets grantee read objects under prefix ("" for all) and decrypt them.
	GrantRead(grantee awsiam.IGrantable, prefix string) awsiam.Grant
	// GrantWrite lets grantee write objects under prefix ("" for all), encrypted with
	// the key, without reading anything back.
	GrantWrite(grantee awsiam.IGrantable, prefix string) awsiam.Grant
	// GrantList lets grantee list the objects under prefix, and only those, as a
	// SageMaker job that reads an S3 prefix does.
	GrantList(grantee awsiam.IGrantable, prefix string) awsiam.Grant
	// GrantVolumeEncryption lets SageMaker jobs that run as grantee encrypt their
	// storage volumes with the key: SageMaker creates grants on it for the volumes,
	// with the grantee's credentials, and for nothing else.
	GrantVolumeEncryption(grantee awsiam.IGrantable) awsiam.Grant
}

// IArtifactBucket is an artifact store of the stack's own account and region, which
// CDK resources use directly: pipelines keep their artifacts in its bucket, builds
// encrypt with its key. An ArtifactBucket is one; FromBucketAttributes imports a
// bucket and key of your own as one.
type IArtifactBucket interface {
	IArtifactStore
	constructs.IConstruct
	// Bucket is the artifact bucket.
	Bucket() awss3.IBucket
	// Key encrypts the bucket's objects.
	Key() awskms.IKey
	// AccessLogs receives the server access logs of the buckets created beside this
	// one (the deploy pipeline's own artifact bucket when its stages are in other
	// accounts); nil when there is none.
	AccessLogs() awss3.IBucket
	// GrantReadWrite lets grantee list the bucket, and read, write and delete objects
	// under prefix ("" for all), with the key.
	GrantReadWrite(grantee awsiam.IGrantable, prefix string) awsiam.Grant
}

// ArtifactBucketAttributes are an existing bucket and key to use as a project's
// artifact store.
type ArtifactBucketAttributes struct {
	// Bucket is the bucket, e.g. from awss3.Bucket_FromBucketName. Required.
	Bucket awss3.IBucket
	// Key encrypts the bucket's objects, e.g. from awskms.Key_FromKeyArn. Grants on an
	// imported key extend the grantee's policy only: the key's policy must let the
	// account's principals use it (the default key policy does), and let CloudWatch
	// Logs use it for the build log groups `/aws/codebuild/<build project>`, which
	// the policy of a key the app creates gets added. Required.
	Key awskms.IKey
	// AccessLogs receives the server access logs of buckets the constructs create
	// beside this one. Its policy must let S3 log delivery (logging.s3.amazonaws.com)
	// write: CDK cannot add that to an imported bucket and warns
	// (@aws-cdk/aws-s3:accessLogsPolicyNotAdded; acknowledge it with
	// awscdk.Annotations_Of(scope).AcknowledgeWarning once the policy allows it).
	// Default: none; a deploy pipeline whose stages are in other accounts then refuses
	// the store, as its own bucket would have no access logs.
	AccessLogs awss3.IBucket
}

// FromBucketAttributes imports an existing bucket and key as an artifact store. It
// panics when the bucket or the key is missing.
func FromBucketAttributes(scope constructs.Construct, id string, attrs *ArtifactBucketAttributes) IArtifactBucket {
	if attrs == nil || attrs.Bucket == nil || attrs.Key == nil {
		panic("artifacts.FromBucketAttributes: Bucket and Key are required: a project encrypts its artifacts with a customer-managed key")
	}
	return &store{
		Construct: constructs.NewConstruct(scope, &id),
		bucket:    attrs.Bucket, key: attrs.Key, accessLogs: attrs.AccessLogs,
	}
}

// store is what every IArtifactBucket shares: its resources and grants.
type store struct {
	constructs.Construct
	bucket     awss3.IBucket
	key        awskms.IKey
	accessLogs awss3.IBucket
}

// Bucket is the artifact bucket.
func (s *store) Bucket() awss3.IBucket { return s.bucket }

// Key encrypts the bucket's objects.
func (s *store) Key() awskms.IKey { return s.key }

// AccessLogs receives the server access logs of buckets created beside this one; nil
// when there is none.
func (s *store) AccessLogs() awss3.IBucket { return s.accessLogs }

// BucketName is the bucket's name.
func (s *store) BucketName() *string { return s.bucket.BucketName() }

// KeyArn is the ARN of the key.
func (s *store) KeyArn() *string { return s.key.KeyArn() }

// ObjectsArn is the ARN of the objects under prefix ("" for every object).
func (s *store) ObjectsArn(prefix string) *string {
	return s.bucket.ArnForObjects(jsii.String(prefix + "*"))
}

// GrantRead lets grantee list the bucket and read objects under prefix ("" for all),
// decrypting with the key.
func (s *store) GrantRead(grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	return s.grant(grantee, prefix, []string{"s3:GetObject", "s3:GetObjectVersion"}, []string{"kms:Decrypt"})
}

// GrantReadWrite lets grantee list the bucket, and read, write and delete objects under
// prefix ("" for all), with the key.
func (s *store) GrantReadWrite(grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	return s.grant(grantee, prefix,
		[]string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
		[]string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"})
}

// GrantWrite lets grantee write objects under prefix ("" for all), encrypting with the
// key, without reading anything back.
func (s *store) GrantWrite(grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	objects := awsiam.Grant_AddToPrincipalOrResource(&awsiam.GrantWithResourceOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:PutObject", "s3:AbortMultipartUpload"),
		ResourceArns: &[]*string{s.ObjectsArn(prefix)},
		Resource:     s.bucket,
	})
	return objects.Combine(s.key.Grant(grantee, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Encrypt")))
}

// GrantList lets grantee list the objects under prefix, and only those.
func (s *store) GrantList(grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	return awsiam.Grant_AddToPrincipalOrResource(&awsiam.GrantWithResourceOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:ListBucket"),
		ResourceArns: &[]*string{s.bucket.BucketArn()},
		Resource:     s.bucket,
		Conditions:   listConditions(prefix),
	})
}

// GrantVolumeEncryption lets SageMaker jobs that run as grantee encrypt their volumes
// with the key.
func (s *store) GrantVolumeEncryption(grantee awsiam.IGrantable) awsiam.Grant {
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("kms:CreateGrant"),
		ResourceArns: &[]*string{s.key.KeyArn()},
		Conditions:   forAWSResources(),
	})
}

// forAWSResources limits kms:CreateGrant to grants for AWS services' resources.
func forAWSResources() *map[string]*map[string]interface{} {
	return &map[string]*map[string]interface{}{"Bool": {"kms:GrantIsForAWSResource": "true"}}
}

// listConditions limits s3:ListBucket to the keys under prefix.
func listConditions(prefix string) *map[string]*map[string]interface{} {
	return &map[string]*map[string]interface{}{"StringLike": {"s3:prefix": prefix + "*"}}
}

func (s *store) grant(grantee awsiam.IGrantable, prefix string, objectActions, keyActions []string) awsiam.Grant {
	list := awsiam.Grant_AddToPrincipalOrResource(&awsiam.GrantWithResourceOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:ListBucket", "s3:GetBucketLocation"),
		ResourceArns: &[]*string{s.bucket.BucketArn()},
		Resource:     s.bucket,
	})
	objects := awsiam.Grant_AddToPrincipalOrResource(&awsiam.GrantWithResourceOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings(objectActions...),
		ResourceArns: &[]*string{s.ObjectsArn(prefix)},
		Resource:     s.bucket,
	})
	return list.Combine(objects).Combine(s.key.Grant(grantee, *jsii.Strings(keyActions...)...))
}
