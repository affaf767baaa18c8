package source

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// connectionArn splits a connection ARN in either form: the service was renamed from
// CodeStar Connections to CodeConnections, and older connections keep the old prefix.
var connectionArn = regexp.MustCompile(`^arn:(aws[a-z-]*):(codestar-connections|codeconnections):([a-z0-9-]+):([0-9]{12}):connection/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

var fullName = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$`)

// Connection is a parsed CodeConnections connection ARN.
type Connection struct {
	// Arn is the ARN as given.
	Arn                                 string
	Partition, Service, Region, Account string
	// ID is the connection's id, the ARN's last part.
	ID string
}

// ParseConnectionArn parses a connection ARN of either form, or says what is wrong.
func ParseConnectionArn(arn string) (Connection, error) {
	m := connectionArn.FindStringSubmatch(arn)
	if m == nil {
		return Connection{}, fmt.Errorf("connection ARN %q is invalid: use arn:aws:codeconnections:<region>:<account>:connection/<uuid> (or the older codestar-connections form)", arn)
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
	if !fullName.MatchString(props.FullName) {
		panic(fmt.Sprintf("ConnectionRepositoryProps.FullName %q is invalid: use the repository's full name, owner/repo", props.FullName))
	}
	branch := props.Branch
	if branch == "" {
		branch = "main"
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
	slash := strings.LastIndex(r.FullName, "/")
	return awscodepipelineactions.NewCodeStarConnectionsSourceAction(&awscodepipelineactions.CodeStarConnectionsSourceActionProps{
		ActionName:    jsii.String(name),
		ConnectionArn: jsii.String(r.Connection.Arn),
		Owner:         jsii.String(r.FullName[:slash]),
		Repo:          jsii.String(r.FullName[slash+1:]),
		Branch:        jsii.String(r.branch),
		Output:        output,
		Role:          role,
		TriggerOnPush: jsii.Bool(false),
	})
}

// Triggers starts the pipeline on a push to the branch, and nothing else.
func (r *ConnectionRepository) Triggers(action awscodepipeline.IAction) *[]*awscodepipeline.TriggerProps {
	return &[]*awscodepipeline.TriggerProps{{
		ProviderType: awscodepipeline.ProviderType_CODE_STAR_SOURCE_CONNECTION,
		GitConfiguration: &awscodepipeline.GitConfiguration{
			SourceAction: action,
			PushFilter:   &[]*awscodepipeline.GitPushFilter{{BranchesIncludes: jsii.Strings(r.branch)}},
		},
	}}
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
