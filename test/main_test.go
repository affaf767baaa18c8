// Package test holds the tests of the whole app: every configuration synthesized once
// with cdk-nag's AwsSolutions checks, then checked by cdk-nag, cfn-lint and for
// determinism, and the app run through the real CDK CLI.
package test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"
)

// workDir holds the cloud assemblies of the package's syntheses until the tests end.
var workDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mlops-app-test-")
	if err != nil {
		panic(err)
	}
	workDir = dir
	code := m.Run()
	jsiiclose.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// configurations are the app configurations every whole-app check runs on, as CDK
// context (on top of cdk.json's).
var configurations = map[string]map[string]any{
	"default": nil,
	// The Studio templates are on in connections, vpcstudio and sandbox: the
	// templates with the organisation's defaults, in its VPC, and destroyed with
	// their stacks.
	"connections": {
		"studio.enabled":    "true",
		"modelBuild.source": "connection", "modelBuild.repository": "example-org/abalone-modelbuild",
		"modelBuild.connectionArn": "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		"modelDeploy.source":       "connection", "modelDeploy.repository": "example-org/abalone-modeldeploy",
		"modelDeploy.connectionArn": "arn:aws:codestar-connections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		"modelDeploy.url":           "https://gitlab.com/example-org/abalone-modeldeploy.git", "modelDeploy.branch": "release",
	},
	"multiaccount": {
		"account": "111111111111", "region": "eu-west-1", "requireSeparateStageAccounts": "true",
		"staging.account": "222222222222", "prod.account": "333333333333", "prod.hosting": "instance",
		"prod.autoscaling.maxCapacity": "4", "bootstrapQualifier": "mlops1",
		"prod.instanceType": "ml.g5.xlarge", "processingInstanceType": "ml.c5.2xlarge",
	},
	"sharedstageaccount": {
		"account": "111111111111", "region": "eu-west-1",
		"staging.account": "222222222222", "prod.account": "222222222222",
		"staging.hosting": "serverless", "staging.dataCapture.enabled": "false",
	},
	// The endpoint stacks as the deploy build synthesizes them for a version with a
	// data-quality baseline: monitored (see monitoredStages).
	"monitored": {"projectId": "p-monitored1", "prod.monitoring.schedule": "cron(0 0/6 ? * * *)"},
	// A project in a VPC of its account (staging's endpoint there, with a security
	// group created for it), prod in another account's VPC with its own group.
	"vpc": {
		"projectId": "p-vpc00001", "account": "111111111111", "region": "eu-west-1", "prod.account": "333333333333",
		"vpc.id": "vpc-0a1b2c3d4e5f67890", "vpc.subnetIds": "subnet-0a1b2c3d4e5f67890,subnet-1a2b3c4d5e6f78901",
		"prod.vpc.id": "vpc-0f0e0d0c", "prod.vpc.subnetIds": "subnet-0f0e0d0c,subnet-0f0e0d0d", "prod.vpc.securityGroupIds": "sg-0f0e0d0c",
	},
	// The Studio templates of a platform whose projects run in its VPC.
	"vpcstudio": {"studio.enabled": "true", "vpc.id": "vpc-0a1b2c3d", "vpc.subnetIds": "subnet-0a1b2c3d,subnet-0a1b2c3e", "vpc.securityGroupIds": "sg-0a1b2c3d"},
	// A sandbox whose ModelBuild code is on GitHub and ModelDeploy code in CodeCommit.
	"sandbox": {
		"studio.enabled": "true", "projectName": "Sandbox-Churn", "projectId": "p-sandbox01", "removalPolicy": "destroy",
		"logRetentionDays": "7", "modelBuild.branch": "develop",
		"modelBuild.source": "connection", "modelBuild.repository": "example-org/churn-modelbuild",
		"modelBuild.connectionArn": "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		"account":                  "111111111111", "region": "eu-west-1",
	},
}

// monitoredConfigurations also synthesize the endpoint stacks of a version with a
// baseline (see monitoredStages): in the project's account, and in stage accounts.
var monitoredConfigurations = map[string]bool{"monitored": true, "multiaccount": true, "vpc": true}

var (
	synthMu     sync.Mutex
	synthesized = map[string]synthesis{}
)

// synthesizedConfig synthesizes the named configuration the first time it is asked
// for, and returns the same synthesis afterwards.
func synthesizedConfig(t *testing.T, name string) synthesis {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthesized[name]; ok {
		return s
	}
	context, ok := configurations[name]
	if !ok {
		t.Fatalf("no configuration %q", name)
	}
	s := synthWithNag(t, filepath.Join(workDir, name), context, monitoredConfigurations[name])
	synthesized[name] = s
	return s
}
