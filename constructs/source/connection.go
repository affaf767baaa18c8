package source

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/internal/gitrules"
	"github.com/sagemaker-mlops-cdk/mlops/internal/tokens"
)

// Connection is a parsed CodeConnections connection ARN.
type Connection struct {
	// Arn is the ARN as given.
	Arn                                 string
	Partition, Service, Region, Account string
	// ID is the connection's id, the ARN's last part.
	ID string
}

// ParseConnectionArn parses a connection ARN of either form, or says what is wrong.
// An ARN that is a token (a template parameter's value) is split by CloudFormation:
// its parts are then tokens too, and its form is checked by the parameter's
// constraints.
func ParseConnectionArn(arn string) (Connection, error) {
	if tokens.Is(arn) {
		parts := awscdk.Fn_Split(jsii.String(":"), jsii.String(arn), jsii.Number(6))
		part := func(i int) string { return *awscdk.Fn_Select(jsii.Number(float64(i)), parts) }
		resource := awscdk.Fn_Split(jsii.String("/"), jsii.String(part(5)), jsii.Number(2))
		return Connection{
			Arn: arn, Partition: part(1), Service: part(2), Region: part(3), Account: part(4),
			ID: *awscdk.Fn_Select(jsii.Number(1), resource),
		}, nil
	}
	m := gitrules.ConnectionArn.FindStringSubmatch(arn)
	if m == nil {
		return Connection{}, fmt.Errorf("connection ARN %q is invalid: must be %s", arn, gitrules.ConnectionArnRule)
	}
	return Connection{Arn: arn, Partition: m[1], Service: m[2], Region: m[3], Account: m[4], ID: m[5]}, nil
}

// Arns returns the connection's ARN in both forms, since IAM matches an action against
// the ARN form of the request.
func (c Connection) Arns() []string {
	var out []string
	for _, service := range []string{"codestar-connections", "codeconnections"} {
		out = append(out, "arn:"+c.Partition+":"+service+":"+c.Region+":"+c.Account+":connection/"+c.ID)
	}
	return out
}

// GitHTTPURL is the git-over-HTTPS URL through which a role allowed to use the
// connection clones and pushes the repository fullName, with the AWS CLI's credential
// helper.
func (c Connection) GitHTTPURL(fullName string) string {
	return "https://codestar-connections." + c.Region + ".amazonaws.com/git-http/" + c.Account + "/" + c.Region + "/" + c.ID + "/" + fullName + ".git"
}

// ConnectionRepositoryProps configures a ConnectionRepository.
type ConnectionRepositoryProps struct {
	// ConnectionArn is the connection to the Git provider, in either ARN form. The
	// connection must be Available. Required.
	ConnectionArn string
	// FullName is the repository's full name, `owner/repo`. Required.
	FullName string
	// Branch is the branch whose pushes start the pipeline. Default: "main".
	Branch string
}

// ConnectionRepository is an existing GitHub, GitLab or Bitbucket repository reached
// through an AWS CodeConnections connection. A push to its branch starts the pipeline
// through a pipeline (V2) trigger filtered on the branch.
type ConnectionRepository struct {
	constructs.Construct
	// Connection is the parsed connection ARN.
	Connection Connection
	// FullName is the repository's full name, `owner/repo`.
	FullName string
	branch   string
}

// NewConnectionRepository refers to the repository. It panics, naming the prop, when a
// prop is invalid.
func NewConnectionRepository(scope constructs.Construct, id string, props *ConnectionRepositoryProps) *ConnectionRepository {
	conn, err := ParseConnectionArn(props.ConnectionArn)
	if err != nil {
		panic("ConnectionRepositoryProps.ConnectionArn: " + err.Error())
	}
	if err := gitrules.CheckFullName(props.FullName); err != nil && !tokens.Is(props.FullName) {
		panic(fmt.Sprintf("ConnectionRepositoryProps.FullName %q is invalid: %v", props.FullName, err))
	}
	branch := props.Branch
	if branch == "" {
		branch = "main"
	}
	if err := gitrules.CheckBranch(branch); err != nil && !tokens.Is(branch) {
		panic(fmt.Sprintf("ConnectionRepositoryProps.Branch %q is invalid: %v", branch, err))
	}
	c := constructs.NewConstruct(scope, &id)
	return &ConnectionRepository{Construct: c, Connection: conn, FullName: props.FullName, branch: branch}
}

// Branch is the branch whose pushes start the pipeline.
func (r *ConnectionRepository) Branch() string { return r.branch }

// SourceAction returns a CodeConnections source action. It does not detect changes by
// itself: the pipeline trigger of Triggers starts the pipeline on a push to the branch.
// Its role may use the connection under either ARN form and service prefix.
func (r *ConnectionRepository) SourceAction(name string, output awscodepipeline.Artifact) awscodepipeline.IAction {
	role := awsiam.NewRole(r.Construct, jsii.String(name+"ActionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewAccountRootPrincipal(),
		Description: jsii.String("Fetches " + r.FullName + " through its connection for a pipeline"),
	})
	r.GrantUseConnection(role)
	// The action takes the owner and the repository apart; a full name that is a token
	// cannot be split (GitLab groups nest), so ConnectPipeline sets it whole.
	owner, repo := r.FullName, ""
	if slash := strings.LastIndex(r.FullName, "/"); slash >= 0 && !tokens.Is(r.FullName) {
		owner, repo = r.FullName[:slash], r.FullName[slash+1:]
	}
	return awscodepipelineactions.NewCodeStarConnectionsSourceAction(&awscodepipelineactions.CodeStarConnectionsSourceActionProps{
		ActionName:    jsii.String(name),
		ConnectionArn: jsii.String(r.Connection.Arn),
		Owner:         jsii.String(owner),
		Repo:          jsii.String(repo),
		Branch:        jsii.String(r.branch),
		Output:        output,
		Role:          role,
		TriggerOnPush: jsii.Bool(false),
	})
}

// ConnectPipeline adds the trigger that starts the pipeline on a push to the branch,
// and nothing else. When the full name is a token, it sets the source action's
// repository id to it, whole.
func (r *ConnectionRepository) ConnectPipeline(pipeline awscodepipeline.Pipeline, action awscodepipeline.IAction) {
	pipeline.AddTrigger(&awscodepipeline.TriggerProps{
		ProviderType: awscodepipeline.ProviderType_CODE_STAR_SOURCE_CONNECTION,
		GitConfiguration: &awscodepipeline.GitConfiguration{
			SourceAction: action,
			PushFilter:   &[]*awscodepipeline.GitPushFilter{{BranchesIncludes: jsii.Strings(r.branch)}},
		},
	})
	if tokens.Is(r.FullName) {
		stage, index := actionPosition(pipeline, action)
		cfn := pipeline.Node().DefaultChild().(awscodepipeline.CfnPipeline)
		cfn.AddPropertyOverride(jsii.String(fmt.Sprintf("Stages.%d.Actions.%d.Configuration.FullRepositoryId", stage, index)), r.FullName)
	}
}

// actionPosition finds action in pipeline: the index of its stage and its index in
// the stage. It panics when the pipeline does not hold the action.
func actionPosition(pipeline awscodepipeline.Pipeline, action awscodepipeline.IAction) (int, int) {
	name := *action.ActionProperties().ActionName
	for s, stage := range *pipeline.Stages() {
		for a, candidate := range *stage.Actions() {
			if *candidate.ActionProperties().ActionName == name && candidate.ActionProperties().Category == action.ActionProperties().Category {
				return s, a
			}
		}
	}
	panic("source: pipeline " + *pipeline.Node().Path() + " has no action " + name)
}

// GrantUseConnection lets grantee use the connection, and no other: to fetch sources,
// or to clone and push through its git-http endpoint.
func (r *ConnectionRepository) GrantUseConnection(grantee awsiam.IGrantable) {
	arns := r.Connection.Arns()
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("codestar-connections:UseConnection", "codeconnections:UseConnection"),
		ResourceArns: jsii.Strings(arns...),
	})
}
