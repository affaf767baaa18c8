package studio

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/internal/cfnfix"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// Tags and patterns Studio relies on.
const (
	// VisibilityTag marks a template object that Studio lists.
	VisibilityTag = "sagemaker:studio-visibility"
	// LocationTag on a SageMaker domain names where its Studio lists templates.
	LocationTag = "sagemaker:projectS3TemplatesLocation"
	// StudioOrigin is the origin of Studio's pages, which read the templates.
	StudioOrigin = "https://*.sagemaker.aws"
)

// Template is one project template to publish.
type Template struct {
	// Name is the template's name, its TemplateName in CreateProject: 1-32 letters,
	// digits and hyphens. The object is `templates/<Name>.yaml`.
	Name string
	// File is the template's YAML body, a file in the cloud assembly.
	File string
}

// Asset is one file a template refers to, at the key the template names.
type Asset struct {
	// Path is the file or directory in the cloud assembly, as the template's stack
	// staged it. A directory is published as a zip.
	Path string
	// Key is the object key the template refers to, below AssetsPrefix.
	Key string
}

// PublicationProps configures a Publication.
type PublicationProps struct {
	// Templates are the project templates. Required.
	Templates []Template
	// Assets are the files the templates refer to. Default: none.
	Assets []Asset
	// RemovalPolicy decides what a stack deletion does to the bucket. Default:
	// awscdk.RemovalPolicy_RETAIN; awscdk.RemovalPolicy_DESTROY empties and deletes it.
	RemovalPolicy awscdk.RemovalPolicy
	// NoncurrentVersionExpiration is how long replaced template and asset versions are
	// kept. Default: 90 days.
	NoncurrentVersionExpiration awscdk.Duration
	// LogRetention bounds how long the publisher's logs are kept. Default: three
	// months.
	LogRetention awslogs.RetentionDays
	// DomainID is a SageMaker domain whose Studio lists the templates: it is tagged
	// with LocationTag. Default: no domain is tagged (tag it yourself, see
	// DomainTagCommand).
	DomainID string
	// Networked says the templates place projects in a VPC: the launch role may then
	// manage the projects' security groups (NetworkLaunchPermissions) and the boundary
	// admits their network interfaces. Default: false, neither.
	Networked bool
}

// Publication is the bucket Studio reads project templates from, the templates and
// their assets in it, the launch role CloudFormation creates a project's stack with,
// the permissions boundary of every role a project creates, and the policy a Studio
// user needs to create projects from the templates.
type Publication struct {
	constructs.Construct
	// Bucket holds the templates under TemplatesPrefix and their assets under
	// AssetsPrefix: versioned, SSE-S3 encrypted (Studio users read the templates
	// without a key grant), TLS only, with Studio's CORS rule.
	Bucket awss3.Bucket
	// LaunchRole is the role CloudFormation assumes to create, update and delete a
	// project's stack (the Role ARN of Studio's Create project form).
	LaunchRole awsiam.Role
	// Boundary is the permissions boundary of every role of a project.
	Boundary awsiam.ManagedPolicy
	// UserPolicy is what a Studio user's execution role needs to create projects from
	// the templates: attach it to the domain's execution roles.
	UserPolicy awsiam.ManagedPolicy
	// TemplateURLs are the HTTPS URLs of the templates, by name.
	TemplateURLs map[string]*string
}

// NewPublication creates the bucket, the role, the policies, and the custom resource
// that copies the templates (tagged for Studio) and their assets into the bucket on
// every deployment and removes the templates when the stack is deleted. It panics when
// no template is given.
func NewPublication(scope constructs.Construct, id string, props *PublicationProps) *Publication {
	if len(props.Templates) == 0 {
		panic("PublicationProps.Templates is required: give at least one template")
	}
	c := constructs.NewConstruct(scope, &id)
	p := &Publication{Construct: c, TemplateURLs: map[string]*string{}}
	p.Bucket = newTemplatesBucket(c, props)
	p.Boundary = newBoundary(c, props.Networked)
	p.LaunchRole = newLaunchRole(c, p.Boundary, props.Networked)
	p.UserPolicy = newUserPolicy(c, p.Bucket, p.LaunchRole)
	publisher := newPublisher(c, props, p.Bucket)
	publish(c, publisher, props, p)
	if props.DomainID != "" {
		tagDomain(c, publisher, props.DomainID, p.Location())
	}
	return p
}

// Location is `s3://<bucket>/templates/`, the value of a domain's LocationTag.
func (p *Publication) Location() *string {
	return jsii.String("s3://" + *p.Bucket.BucketName() + "/" + TemplatesPrefix)
}

// DomainTagCommand is the AWS CLI command that tags a domain (its id in DOMAIN_ID) so
// that its Studio lists the templates.
func (p *Publication) DomainTagCommand() *string {
	return jsii.String("aws sagemaker add-tags --resource-arn arn:" + *awscdk.Aws_PARTITION() + ":sagemaker:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() +
		":domain/$DOMAIN_ID --tags Key=" + LocationTag + ",Value=" + *p.Location())
}

func newTemplatesBucket(scope constructs.Construct, props *PublicationProps) awss3.Bucket {
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	destroy := removal == awscdk.RemovalPolicy_DESTROY
	noncurrent := props.NoncurrentVersionExpiration
	if noncurrent == nil {
		noncurrent = awscdk.Duration_Days(jsii.Number(90))
	}
	logs := awss3.NewBucket(scope, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     removal,
		AutoDeleteObjects: jsii.Bool(destroy),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                          jsii.String("ExpireAccessLogs"),
			Expiration:                  awscdk.Duration_Days(jsii.Number(365)),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30)),
		}},
	})
	nag.Suppress(logs, nag.Rule{ID: "AwsSolutions-S1", Reason: "This bucket is the destination of the templates bucket's server access logs; logging it into itself would loop."})
	bucket := awss3.NewBucket(scope, jsii.String("Bucket"), &awss3.BucketProps{
		BucketName:             awscdk.Fn_Sub(jsii.String(TemplatesBucketName), nil),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("templates-bucket/"),
		RemovalPolicy:          removal,
		AutoDeleteObjects:      jsii.Bool(destroy),
		// Studio's pages read the templates from the browser; the rule is the one AWS's
		// sample for S3 templates sets (IAM still decides who may do what).
		Cors: &[]*awss3.CorsRule{{
			AllowedOrigins: jsii.Strings(StudioOrigin),
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_GET, awss3.HttpMethods_PUT, awss3.HttpMethods_POST, awss3.HttpMethods_HEAD, awss3.HttpMethods_DELETE},
			AllowedHeaders: jsii.Strings("*"),
			ExposedHeaders: jsii.Strings("ETag", "x-amz-delete-marker", "x-amz-id-2", "x-amz-request-id", "x-amz-server-side-encryption", "x-amz-version-id"),
		}},
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpireNoncurrentVersions"),
			NoncurrentVersionExpiration:         noncurrent,
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
	if destroy {
		cfnfix.AutoDeleteObjectsDependency(scope)
	}
	return bucket
}

// newBoundary creates the permissions boundary, with the fixed name the templates
// refer to (see BoundaryArn).
func newBoundary(scope constructs.Construct, networked bool) awsiam.ManagedPolicy {
	arn := BoundaryArn(scope)
	permissions := BoundaryPermissions(scope, arn, networked)
	boundary := awsiam.NewManagedPolicy(scope, jsii.String("ProjectRolesBoundary"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: awscdk.Fn_Sub(jsii.String(boundaryName), nil),
		Description:       jsii.String("Permissions boundary of every role of the SageMaker projects created from the published MLOps templates"),
		Document:          policyDocument(permissions),
	})
	nag.Suppress(boundary, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "A permissions boundary caps what any role of a project may do, whatever its own policy (which grants far less, per resource); it names the services a project uses, and IAM only for the project's own roles.",
		AppliesTo: append(wildcardActions(permissions), wildcardFindings(scope, permissions)...),
	})
	return boundary
}

// newLaunchRole creates the role CloudFormation assumes for a project's stack.
func newLaunchRole(scope constructs.Construct, boundary awsiam.ManagedPolicy, networked bool) awsiam.Role {
	permissions := LaunchPermissions(scope, BoundaryArn(scope), networked)
	var policies []awsiam.IManagedPolicy
	for i, part := range packPolicies(permissions) {
		policy := awsiam.NewManagedPolicy(scope, jsii.String(fmt.Sprintf("LaunchPolicy%d", i+1)), &awsiam.ManagedPolicyProps{
			Description: jsii.String(fmt.Sprintf("What CloudFormation needs to create, update and delete the stacks of SageMaker projects created from the published MLOps templates (part %d)", i+1)),
			Document:    policyDocument(part),
		})
		nag.Suppress(policy, nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "One launch role creates every project of the account and region, whose resource names embed each project's generated id: each statement is limited to the names, paths or tags of SageMaker projects; creating a key and CloudWatch Logs' log delivery support no resource-level permissions.",
			AppliesTo: wildcardFindings(scope, part),
		})
		policies = append(policies, policy)
	}
	role := awsiam.NewRole(scope, jsii.String("LaunchRole"), &awsiam.RoleProps{
		RoleName:        awscdk.Fn_Sub(jsii.String("sagemaker-mlops-projects-launch-${AWS::Region}"), nil),
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String("cloudformation.amazonaws.com"), nil),
		Description:     jsii.String("Launch role of the MLOps project templates: CloudFormation creates a SageMaker project's stack with it"),
		ManagedPolicies: &policies,
	})
	// The boundary must exist before a project names it.
	role.Node().AddDependency(boundary)
	return role
}

// managedPolicyBudget is how many characters of statements go into one managed
// policy: IAM allows 6,144 (white space not counted), and the estimate counts each
// token (a region, an account) as its placeholder, which is longer than its value.
const managedPolicyBudget = 5500

// packPolicies splits permissions, in order, into as few parts as keep each under
// managedPolicyBudget.
func packPolicies(permissions []Permission) [][]Permission {
	var parts [][]Permission
	size := managedPolicyBudget
	for _, p := range permissions {
		data, err := json.Marshal(p)
		if err != nil {
			panic("studio: " + err.Error())
		}
		if size+len(data) > managedPolicyBudget {
			parts, size = append(parts, nil), 0
		}
		parts[len(parts)-1] = append(parts[len(parts)-1], p)
		size += len(data) - len(p.Reason)
	}
	return parts
}

func newUserPolicy(scope constructs.Construct, bucket awss3.Bucket, launchRole awsiam.Role) awsiam.ManagedPolicy {
	permissions := UserPermissions(scope, bucket.BucketArn(), launchRole.RoleArn())
	policy := awsiam.NewManagedPolicy(scope, jsii.String("StudioUserPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Lets a SageMaker Studio user create projects from the published MLOps templates: attach it to the domain's execution roles"),
		Document:    policyDocument(permissions),
	})
	nag.Suppress(policy, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "Users read any published template (under the templates prefix) and the project stacks SageMaker names SP-...; template validation supports no resource-level permissions.",
		AppliesTo: wildcardFindings(scope, permissions),
	})
	return policy
}

// publisherCode is the directory of the publisher's Lambda code.
func publisherCode() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "publisher")
}

// newPublisher creates the function behind the publication's custom resources.
func newPublisher(scope constructs.Construct, props *PublicationProps, bucket awss3.Bucket) awslambda.Function {
	retention := props.LogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_THREE_MONTHS
	}
	role := awsiam.NewRole(scope, jsii.String("PublisherRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Publishes the MLOps project templates and their assets"),
	})
	logs := awslogs.NewLogGroup(scope, jsii.String("PublisherLogs"), &awslogs.LogGroupProps{Retention: retention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	logs.GrantWrite(role)
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PublishObjects"),
		Actions:   jsii.Strings("s3:PutObject", "s3:PutObjectTagging"),
		Resources: &[]*string{bucket.ArnForObjects(jsii.String(AssetsPrefix + "*")), bucket.ArnForObjects(jsii.String(TemplatesPrefix + "*"))},
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("UnpublishTemplates"),
		Actions:   jsii.Strings("s3:DeleteObject"),
		Resources: &[]*string{bucket.ArnForObjects(jsii.String(TemplatesPrefix + "*"))},
	}))
	fn := awslambda.NewFunction(scope, jsii.String("Publisher"), &awslambda.FunctionProps{
		Runtime:     awslambda.Runtime_PYTHON_3_14(),
		Handler:     jsii.String("publisher.handler"),
		Code:        awslambda.Code_FromAsset(jsii.String(publisherCode()), nil),
		Role:        role,
		LogGroup:    logs,
		Timeout:     awscdk.Duration_Minutes(jsii.Number(5)),
		Description: jsii.String("Publishes the MLOps project templates for SageMaker Studio"),
	})
	cfnfix.RoleDependency(fn, role)
	return fn
}

// publish copies every template and asset into the bucket, through publisher. The
// files are already in the cloud assembly, so they are published from there as they
// are, rather than staged again.
func publish(scope constructs.Construct, publisher awslambda.Function, props *PublicationProps, p *Publication) {
	var templates, assets []any
	var sources []*string
	add := func(path string) map[string]any {
		location := publishedFile(scope, path)
		sources = append(sources, jsii.String("arn:"+*awscdk.Aws_PARTITION()+":s3:::"+*location.BucketName+"/"+*location.ObjectKey))
		return map[string]any{"Bucket": location.BucketName, "Key": location.ObjectKey}
	}
	for _, t := range props.Templates {
		key := TemplatesPrefix + t.Name + ".yaml"
		templates = append(templates, map[string]any{"Source": add(t.File), "Key": key})
		p.TemplateURLs[t.Name] = awscdk.Fn_Sub(jsii.String("https://${Bucket}.s3.${AWS::Region}.${AWS::URLSuffix}/"+key),
			&map[string]*string{"Bucket": p.Bucket.BucketName()})
	}
	for _, a := range props.Assets {
		assets = append(assets, map[string]any{"Source": add(a.Path), "Key": a.Key})
	}
	publisher.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadTheFilesToPublish"),
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &sources,
	}))
	resource := awscdk.NewCustomResource(scope, jsii.String("Templates"), &awscdk.CustomResourceProps{
		ServiceToken: publisher.FunctionArn(),
		ResourceType: jsii.String("Custom::PublishStudioTemplates"),
		Properties:   &map[string]interface{}{"Bucket": p.Bucket.BucketName(), "Templates": templates, "Assets": assets},
	})
	// The publisher writes with its role's policy, which must exist first.
	resource.Node().AddDependency(publisher.Role())
	nag.Suppress(publisher.Role(), nag.Rule{
		ID:     "AwsSolutions-IAM5",
		Reason: "The publisher writes objects under the templates bucket's templates and assets prefixes, whose keys are the templates' names and the assets' hashes.",
		AppliesTo: []string{
			"Resource::" + nag.Attr(p.Bucket, "Arn") + "/" + AssetsPrefix + "*",
			"Resource::" + nag.Attr(p.Bucket, "Arn") + "/" + TemplatesPrefix + "*",
		},
	})
}

// publishedFile adds path, a file or directory of the cloud assembly, to the stack's
// file assets (a directory as a zip) and returns where the CDK publishes it. It panics
// when the path is outside the cloud assembly, where nothing would keep it until the
// stack is deployed.
func publishedFile(scope constructs.Construct, path string) *awscdk.FileAssetLocation {
	outdir := *awscdk.Stage_Of(scope).AssetOutdir()
	rel, err := filepath.Rel(outdir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		panic(fmt.Sprintf("studio: %s is not in the cloud assembly %s: publish the files a synthesized stage wrote", path, outdir))
	}
	info, err := os.Stat(path)
	if err != nil {
		panic("studio: " + err.Error())
	}
	packaging := awscdk.FileAssetPackaging_FILE
	if info.IsDir() {
		packaging = awscdk.FileAssetPackaging_ZIP_DIRECTORY
	}
	hash, err := fingerprint(path, info)
	if err != nil {
		panic("studio: " + err.Error())
	}
	return awscdk.Stack_Of(scope).Synthesizer().AddFileAsset(&awscdk.FileAssetSource{
		FileName: jsii.String(rel), Packaging: packaging, SourceHash: jsii.String(hash),
	})
}

// fingerprint identifies a file by its content, and a directory staged by the CDK by
// its name, which is the CDK's hash of its content.
func fingerprint(path string, info os.FileInfo) (string, error) {
	if info.IsDir() {
		return strings.TrimPrefix(info.Name(), "asset."), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// tagDomain tags the domain so that its Studio lists the templates, and removes the
// tag when the stack is deleted.
func tagDomain(scope constructs.Construct, publisher awslambda.Function, domainID string, location *string) {
	stack := awscdk.Stack_Of(scope)
	domain := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sagemaker"), Resource: jsii.String("domain"), ResourceName: jsii.String(domainID)})
	publisher.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("TagTheDomain"),
		Actions:   jsii.Strings("sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags"),
		Resources: &[]*string{domain},
	}))
	resource := awscdk.NewCustomResource(scope, jsii.String("DomainTemplatesLocation"), &awscdk.CustomResourceProps{
		ServiceToken: publisher.FunctionArn(),
		ResourceType: jsii.String("Custom::StudioTemplatesLocation"),
		Properties:   &map[string]interface{}{"DomainArn": domain, "TagKey": LocationTag, "Location": location},
	})
	resource.Node().AddDependency(publisher.Role())
}

// wildcardActions are the findings of the wildcard actions of permissions.
func wildcardActions(permissions []Permission) []string {
	var out []string
	for _, p := range permissions {
		for _, a := range p.Actions {
			if a[len(a)-1] == '*' {
				out = append(out, "Action::"+a)
			}
		}
	}
	return out
}
