package registry_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var churn = project.Identity{Name: "Churn", ID: "p-churn0001"}

// One stack holds a registry used every way the tests check, and is synthesized once.
type fixture struct {
	tpl                     testutil.Template
	reader, approver, other string
	grants                  map[string]awsiam.Grant
}

var synthesized *fixture

func registryStack(t *testing.T) *fixture {
	if synthesized != nil {
		return synthesized
	}
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Registry"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	models := registry.NewModelRegistry(stack, "Models", &registry.ModelRegistryProps{Project: churn})
	role := func(id string) awsiam.Role {
		return awsiam.NewRole(stack, jsii.String(id), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
	}
	reader, approver, other := role("Reader"), role("Approver"), role("Other")
	f := &fixture{grants: map[string]awsiam.Grant{
		"read": models.GrantRead(reader), "approve": models.GrantApprove(approver), "register": models.GrantRegister(approver),
	}}
	models.AllowAccounts("222222222222", "333333333333")
	models.AllowAccounts("333333333333", "444444444444")
	queue := awssqs.NewQueue(stack, jsii.String("Approvals"), nil)
	models.OnApproved("Approved", &awsevents.OnEventOptions{Target: awseventstargets.NewSqsQueue(queue, nil), Description: jsii.String("approvals")})
	shared := registry.FromGroupArn(stack, "Shared", "arn:aws:sagemaker:eu-west-1:999999999999:model-package-group/Fraud-Models")
	shared.GrantRead(other)
	f.tpl = testutil.Synth(t, stack)
	f.reader, f.approver, f.other = logicalID(stack, reader), logicalID(stack, approver), logicalID(stack, other)
	synthesized = f
	return f
}

func logicalID(stack awscdk.Stack, role awsiam.Role) string {
	return *stack.GetLogicalId(role.Node().DefaultChild().(awscdk.CfnElement))
}

func TestTheGroupIsNamedAfterTheProjectAndRetainedByDefault(t *testing.T) {
	group := registryStack(t).tpl.One(t, "AWS::SageMaker::ModelPackageGroup")
	assert.Equal(t, "Churn-p-churn0001", group.Properties["ModelPackageGroupName"])
	assert.Equal(t, "Model versions of SageMaker project Churn (p-churn0001)", group.Properties["ModelPackageGroupDescription"])
	assert.Equal(t, "Retain", group.Raw["DeletionPolicy"], "the registry outlives the stack unless told otherwise")
	assert.Equal(t, "Retain", group.Raw["UpdateReplacePolicy"])
}

// AllowAccounts adds up: the second call keeps the first call's accounts, and each
// account appears once.
func TestAllowAccountsAddsUp(t *testing.T) {
	group := registryStack(t).tpl.One(t, "AWS::SageMaker::ModelPackageGroup")
	policy := group.Properties["ModelPackageGroupPolicy"].(map[string]any)
	statements := policy["Statement"].([]any)
	require.Len(t, statements, 2)
	for _, s := range statements {
		assert.Equal(t, []any{"arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:root"},
			s.(map[string]any)["Principal"].(map[string]any)["AWS"])
	}
	deploy := statements[1].(map[string]any)
	assert.Equal(t, []any{"sagemaker:DescribeModelPackage", "sagemaker:CreateModel"}, deploy["Action"])
	assert.Equal(t, "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-p-churn0001/*", testutil.Render(deploy["Resource"]), "SageMaker lowercases names in ARNs")
}

// The grants return what they granted, and grant only their actions on the group.
func TestGrantsReturnTheirGrantAndScopeToTheGroup(t *testing.T) {
	f := registryStack(t)
	for name, g := range f.grants {
		assert.True(t, *g.Success(), name)
	}
	statements := map[string][]string{}
	for _, s := range f.tpl.RoleStatements(f.reader) {
		for _, a := range s.Actions {
			statements[a] = s.Resources
		}
	}
	assert.Equal(t, []string{"arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/churn-p-churn0001", "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-p-churn0001/*"}, statements["sagemaker:DescribeModelPackage"])
	assert.Equal(t, []string{"*"}, statements["sagemaker:ListModelPackages"], "ListModelPackages supports no resource-level permissions")
	approver := map[string][]string{}
	for _, s := range f.tpl.RoleStatements(f.approver) {
		for _, a := range s.Actions {
			approver[a] = append(approver[a], s.Resources...)
		}
	}
	assert.Equal(t, []string{"arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-p-churn0001/*"}, approver["sagemaker:UpdateModelPackage"])
	assert.Contains(t, approver, "sagemaker:CreateModelPackage")
}

// An imported group of another account keeps its ARN, lowercased in its versions'.
func TestAGroupImportedByArnIsReadWithItsOwnArn(t *testing.T) {
	f := registryStack(t)
	resources := map[string][]string{}
	for _, s := range f.tpl.RoleStatements(f.other) {
		for _, a := range s.Actions {
			resources[a] = s.Resources
		}
	}
	assert.Equal(t, []string{"arn:aws:sagemaker:eu-west-1:999999999999:model-package-group/Fraud-Models", "arn:aws:sagemaker:eu-west-1:999999999999:model-package/fraud-models/*"}, resources["sagemaker:DescribeModelPackage"])
}

// OnApproved matches the group's Approved versions only: not Rejected, not pending,
// not another group's.
func TestOnApprovedMatchesOnlyApprovalsOfTheGroup(t *testing.T) {
	rule := registryStack(t).tpl.One(t, "AWS::Events::Rule")
	assert.Equal(t, map[string]any{
		"source": []any{"aws.sagemaker"}, "detail-type": []any{"SageMaker Model Package State Change"},
		"detail": map[string]any{"ModelPackageGroupName": []any{"Churn-p-churn0001"}, "ModelApprovalStatus": []any{"Approved"}},
	}, rule.Properties["EventPattern"])
	assert.Equal(t, "approvals", rule.Properties["Description"])
	require.Len(t, rule.Properties["Targets"], 1)
}

// OnStatus matches exactly the statuses it is given, of the group's versions.
func TestOnStatusMatchesTheGivenStatusesOfTheGroup(t *testing.T) {
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Decisions"), nil)
	registry.FromGroupName(stack, "Models", "Fraud-Models").OnStatus("Decided", nil, registry.ApprovedStatus, registry.RejectedStatus)
	rule := testutil.Synth(t, stack).One(t, "AWS::Events::Rule")
	assert.Equal(t, map[string]any{"ModelPackageGroupName": []any{"Fraud-Models"}, "ModelApprovalStatus": []any{"Approved", "Rejected"}},
		rule.Properties["EventPattern"].(map[string]any)["detail"])
}

func TestImportsAndTheRuleRefuseWhatCannotWork(t *testing.T) {
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Refusals"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	for name, tc := range map[string]struct {
		build func()
		want  string
	}{
		"an ARN that is no group's": {func() {
			registry.FromGroupArn(stack, "Bad", "arn:aws:sagemaker:eu-west-1:111111111111:model-package/x/1")
		}, `registry.FromGroupArn: "arn:aws:sagemaker:eu-west-1:111111111111:model-package/x/1" is invalid: use arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>`},
		"approvals of another account's group": {func() {
			registry.FromGroupArn(stack, "Elsewhere", "arn:aws:sagemaker:eu-west-1:999999999999:model-package-group/g").OnApproved("Approved", nil)
		}, "registry: OnApproved of group g of account 999999999999, region eu-west-1, in stack Refusals: SageMaker sends the group's events in its own account and region only; create the rule there"},
		"a status rule without a status": {func() {
			registry.FromGroupName(stack, "NoStatus", "g").OnStatus("Decided", nil)
		}, "registry: OnStatus Decided names no status: give one or more of Approved, Rejected, PendingManualApproval"},
		"status changes of another account's group": {func() {
			registry.FromGroupArn(stack, "ElsewhereToo", "arn:aws:sagemaker:eu-west-1:999999999999:model-package-group/g").OnStatus("Decided", nil, registry.RejectedStatus)
		}, "registry: OnStatus of group g of account 999999999999, region eu-west-1, in stack Refusals: SageMaker sends the group's events in its own account and region only; create the rule there"},
		"an invalid project": {func() {
			registry.NewModelRegistry(stack, "Invalid", &registry.ModelRegistryProps{Project: project.Identity{Name: "9lives", ID: "p-x"}})
		}, `projectName "9lives" is invalid: use 1-32 characters, a letter first, then letters, digits and hyphens, no hyphen at the end (pattern ^[a-zA-Z](-*[a-zA-Z0-9])*$)`},
	} {
		assert.PanicsWithValue(t, tc.want, tc.build, name)
	}
}

// A team with a group of its own imports it by name, and deploys on its approvals.
func ExampleFromGroupName() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Deploy"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	models := registry.FromGroupName(stack, "Models", "Fraud-Models")
	deployer := awsiam.NewRole(stack, jsii.String("Deployer"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("codebuild.amazonaws.com"), nil)})
	grant := models.GrantRead(deployer)
	models.OnApproved("Approved", nil)
	fmt.Println(*models.GroupName(), *grant.Success())
	arn, _ := json.Marshal(stack.Resolve(models.PackagesArn()))
	fmt.Println(string(arn))
	// Output:
	// Fraud-Models true
	// {"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":sagemaker:eu-west-1:111111111111:model-package/fraud-models/*"]]}
}

// A project's registry, whose versions two stage accounts may deploy.
func ExampleNewModelRegistry() {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Project"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	models := registry.NewModelRegistry(stack, "Models", &registry.ModelRegistryProps{Project: project.Identity{Name: "churn", ID: "p-churn0001"}})
	models.AllowAccounts("222222222222", "333333333333")
	fmt.Println(*models.GroupName(), models.Group.CfnOptions().DeletionPolicy())
	// Output:
	// churn-p-churn0001 RETAIN
}
