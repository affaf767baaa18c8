package network

// Endpoint is a VPC endpoint the subnets of a placement need, for the AWS APIs what
// runs there calls.
type Endpoint struct {
	// Service is the endpoint's service name with `<region>` for the region, e.g.
	// com.amazonaws.<region>.sagemaker.api.
	Service string
	// Gateway says it is a gateway endpoint (on the subnets' route tables), not an
	// interface endpoint.
	Gateway bool
	// Prefixes are the IAM service prefixes of the actions it serves.
	Prefixes []string
	// UsedBy says what calls it.
	UsedBy string
}

// Endpoints are the VPC endpoints the project's subnets need when every job,
// endpoint, build and function runs there without an internet route, in the order
// the README lists them. A test checks them against the actions of the roles placed
// in a VPC.
var Endpoints = []Endpoint{
	{Service: "com.amazonaws.<region>.s3", Gateway: true, Prefixes: []string{"s3"},
		UsedBy: "everything: artifacts, captured data, baselines, reports, build caches and sources, the sample data"},
	{Service: "com.amazonaws.<region>.sagemaker.api", Prefixes: []string{"sagemaker"},
		UsedBy: "the ModelBuild build (upserts and runs the pipeline), the ModelDeploy build (registry, baselines), the test gate"},
	{Service: "com.amazonaws.<region>.sagemaker.runtime", Prefixes: []string{"sagemaker"},
		UsedBy: "the test gate, which invokes the staging endpoint"},
	{Service: "com.amazonaws.<region>.sts", Prefixes: []string{"sts"},
		UsedBy: "the builds (credentials; the deploy build and test gate assume roles in stage accounts)"},
	{Service: "com.amazonaws.<region>.logs", Prefixes: []string{"logs"},
		UsedBy: "the builds, functions and jobs writing their logs, the seeding function reading the build's"},
	{Service: "com.amazonaws.<region>.monitoring", Prefixes: []string{"cloudwatch"},
		UsedBy: "the monitoring jobs' drift metrics"},
	{Service: "com.amazonaws.<region>.kms", Prefixes: []string{"kms"},
		UsedBy: "everything encrypted with the project key"},
	{Service: "com.amazonaws.<region>.ecr.api", Prefixes: []string{"ecr"},
		UsedBy: "pulling the built-in SageMaker images and CodeBuild's image"},
	{Service: "com.amazonaws.<region>.ecr.dkr", Prefixes: []string{"ecr"},
		UsedBy: "pulling image layers (through the S3 gateway endpoint)"},
	{Service: "com.amazonaws.<region>.codebuild", Prefixes: []string{"codebuild"},
		UsedBy: "the seeding function, which starts and follows the seeding build; the builds' reports"},
	{Service: "com.amazonaws.<region>.codepipeline", Prefixes: []string{"codepipeline"},
		UsedBy: "the notifying function, which reads the failed deploy execution"},
	{Service: "com.amazonaws.<region>.sns", Prefixes: []string{"sns"},
		UsedBy: "the notifying function publishing to the project's topic"},
	{Service: "com.amazonaws.<region>.cloudformation", Prefixes: []string{"cloudformation"},
		UsedBy: "the ModelDeploy build, which reads the endpoint stacks as they run"},
	{Service: "com.amazonaws.<region>.codestar-connections.api", Prefixes: []string{"codestar-connections", "codeconnections"},
		UsedBy: "the seeding build, which pushes to a GitHub, GitLab or Bitbucket repository through the connection's git-http endpoint"},
	{Service: "com.amazonaws.<region>.git-codecommit", Prefixes: []string{"codecommit"},
		UsedBy: "git over HTTPS to a CodeCommit repository (the pipelines' source actions run outside the VPC)"},
}

// EndpointFor is the endpoint that serves actions of the IAM service prefix, or
// false when none does.
func EndpointFor(prefix string) (Endpoint, bool) {
	for _, e := range Endpoints {
		for _, p := range e.Prefixes {
			if p == prefix {
				return e, true
			}
		}
	}
	return Endpoint{}, false
}

// NotCalledFromTheVpc are IAM service prefixes granted to roles placed in a VPC whose
// actions are not API calls from there: ec2's network-interface actions are SageMaker's,
// CodeBuild's and Lambda's own, iam:PassRole is authorized where the call that passes
// the role is made.
var NotCalledFromTheVpc = []string{"ec2", "iam"}
