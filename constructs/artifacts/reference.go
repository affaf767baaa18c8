package artifacts

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
)

// Reference reaches a project's artifact bucket and key from another stack, possibly in
// another account, through their deterministic names: the bucket
// `sagemaker-project-<id>` and the key alias `alias/sagemaker-project-<id>`. It creates
// no cross-stack reference, so a stack using it deploys on its own (as the deploy
// pipeline deploys endpoint stacks). Granting it extends the grantee's policy only: the
// bucket and key policies of the project must trust the grantee's account (they do
// for the stage accounts the project stack is configured with).
type Reference struct {
	// Scope is the construct whose stack uses the reference. Required.
	Scope constructs.IConstruct
	// Project owns the bucket and key. Required.
	Project project.Identity
	// Account and Region of the project stack. Empty means the scope's stack's own.
	Account, Region string
}

// BucketName is the bucket's name.
func (r Reference) BucketName() *string { return jsii.String(r.Project.BucketName()) }

// KeyArn is the ARN of the key's alias, which SageMaker accepts wherever a key is asked
// for, in this account or another.
func (r Reference) KeyArn() *string {
	return r.arn("kms", "alias", r.Project.KeyAliasName()[len("alias/"):])
}

// ObjectsArn is the ARN of the objects under prefix ("" for every object).
func (r Reference) ObjectsArn(prefix string) *string {
	return jsii.String(*r.bucketArn() + "/" + prefix + "*")
}

// GrantRead lets grantee read objects under prefix and decrypt them.
func (r Reference) GrantRead(grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	return r.grantObjects(grantee, prefix, "s3:GetObject", "s3:GetObjectVersion").
		Combine(r.grantKey(grantee, "kms:Decrypt"))
}

// GrantWrite lets grantee write objects under prefix, encrypted with the key.
func (r Reference) GrantWrite(grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	return r.grantObjects(grantee, prefix, "s3:PutObject", "s3:AbortMultipartUpload").
		Combine(r.grantKey(grantee, "kms:GenerateDataKey", "kms:Encrypt"))
}

// GrantList lets grantee list the objects under prefix, and only those.
func (r Reference) GrantList(grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:ListBucket"),
		ResourceArns: &[]*string{r.bucketArn()},
		Conditions:   listConditions(prefix),
	})
}

// GrantVolumeEncryption lets SageMaker jobs that run as grantee encrypt their volumes
// with the key.
func (r Reference) GrantVolumeEncryption(grantee awsiam.IGrantable) awsiam.Grant {
	conditions := forAWSResources()
	(*conditions)["ForAnyValue:StringEquals"] = &map[string]interface{}{"kms:ResourceAliases": r.Project.KeyAliasName()}
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("kms:CreateGrant"),
		ResourceArns: &[]*string{r.arn("kms", "key", "*")},
		Conditions:   conditions,
	})
}

// bucketArn is the bucket's ARN.
func (r Reference) bucketArn() *string {
	return jsii.String("arn:" + *awscdk.Stack_Of(r.Scope).Partition() + ":s3:::" + r.Project.BucketName())
}

func (r Reference) grantObjects(grantee awsiam.IGrantable, prefix string, actions ...string) awsiam.Grant {
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings(actions...),
		ResourceArns: &[]*string{r.ObjectsArn(prefix)},
	})
}

// grantKey grants actions on the project account's key that carries the project's
// alias: the key's id is unknown before deployment, its alias is not.
func (r Reference) grantKey(grantee awsiam.IGrantable, actions ...string) awsiam.Grant {
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings(actions...),
		ResourceArns: &[]*string{r.arn("kms", "key", "*")},
		Conditions: &map[string]*map[string]interface{}{
			"ForAnyValue:StringEquals": {"kms:ResourceAliases": r.Project.KeyAliasName()},
		},
	})
}

func (r Reference) arn(service, resource, name string) *string {
	c := &awscdk.ArnComponents{Service: &service, Resource: &resource, ResourceName: &name}
	if r.Account != "" {
		c.Account = jsii.String(r.Account)
	}
	if r.Region != "" {
		c.Region = jsii.String(r.Region)
	}
	return awscdk.Stack_Of(r.Scope).FormatArn(c)
}
