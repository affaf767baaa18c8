// Command testgate is the TestStaging stage of the deploy pipeline: it invokes the
// staging endpoint with the sample rows, checks every answer is a number and the p95
// latency is within budget, writes a JSON report, and exits non-zero when anything
// failed, so that no untested model reaches the production approval.
//
//	go run ./cmd/testgate [-endpoint NAME] [-invocations 20] [-p95-ms 500] [-role-arn ARN]
//	                      [-samples samples/abalone-features.csv] [-features 10] [-report test-report.json]
//
// The flags default to the environment the pipeline's CodeBuild project sets (see
// package deploybuild): ENDPOINT_NAME, TEST_INVOCATIONS, TEST_P95_LATENCY_MS and, when
// the endpoint lives in another account, TEST_ROLE_ARN (the role the gate assumes
// there).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"

	"modeldeploy/internal/gate"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the command: exit code 0 when the gate passed, 1 when it failed, 2 for bad
// usage or configuration.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	usage := func(err error) int {
		fmt.Fprintln(stderr, "testgate:", err)
		return 2
	}
	defaults, err := deploybuild.ReadTestGate(getenv)
	if err != nil {
		return usage(err)
	}
	fs := flag.NewFlagSet("testgate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", defaults.Endpoint, "the staging endpoint's name")
	invocations := fs.Int("invocations", defaults.Invocations, fmt.Sprintf("calls to make, at least %d", deploybuild.MinTestInvocations))
	budgetMs := fs.Int("p95-ms", defaults.P95LatencyMs, "budget of the p95 latency, in milliseconds")
	roleArn := fs.String("role-arn", defaults.RoleArn, "role to assume to reach an endpoint in another account")
	samples := fs.String("samples", "samples/abalone-features.csv", "CSV feature rows to send")
	features := fs.Int("features", 10, "values per sample row")
	reportPath := fs.String("report", "test-report.json", "where to write the JSON report")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rows, err := gate.ReadRows(*samples, *features)
	if err != nil {
		return usage(err)
	}
	cfg := gate.Config{Endpoint: *endpoint, Invocations: *invocations, P95Budget: time.Duration(*budgetMs) * time.Millisecond, Rows: rows}
	if err := cfg.Validate(); err != nil {
		return usage(err)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return usage(fmt.Errorf("AWS configuration: %v", err))
	}
	if *roleArn != "" {
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), *roleArn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "staging-test-gate"
		}))
	}
	report, err := gate.Run(ctx, sagemaker.NewFromConfig(awsCfg), sagemakerruntime.NewFromConfig(awsCfg), cfg)
	if err != nil {
		return usage(err)
	}
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return usage(err)
	}
	if err := os.WriteFile(*reportPath, append(data, '\n'), 0o644); err != nil {
		return usage(err)
	}
	fmt.Fprintf(stdout, "endpoint %s: %d calls, p50 %.1f ms, p95 %.1f ms (budget %.1f ms), max %.1f ms; report in %s\n",
		report.Endpoint, len(report.Calls), report.P50Ms, report.P95Ms, report.BudgetP95Ms, report.MaxMs, *reportPath)
	if !report.Passed {
		for _, f := range report.Failures {
			fmt.Fprintln(stderr, "FAILED:", f)
		}
		return 1
	}
	fmt.Fprintln(stdout, "PASSED: the staging endpoint answered every call with a number within the latency budget")
	return 0
}
