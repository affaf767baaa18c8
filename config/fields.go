package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/internal/email"
	"github.com/sagemaker-mlops-cdk/mlops/internal/tokens"
)

// field is one configuration key: how to read it into a Config, how to print its value
// and the rule the value must follow.
type field struct {
	key   string
	get   func(Config) string
	set   func(*Config, string) error
	check func(Config) error
}

// fields lists every key, in the order the README documents them.
var fields = []field{
	stringField("projectName", func(c *Config) *string { return &c.Project.Name }, project.CheckName),
	stringField("projectId", func(c *Config) *string { return &c.Project.ID }, project.CheckID),
	stringField("account", func(c *Config) *string { return &c.Account }, optional(matches(accountPattern, "a 12-digit AWS account id"))),
	stringField("region", func(c *Config) *string { return &c.Region }, optional(knownRegion)),
	stringField("removalPolicy", func(c *Config) *string { return (*string)(&c.RemovalPolicy) }, oneOf(string(Retain), string(Destroy))),
	intField("logRetentionDays", func(c *Config) *int { return &c.LogRetentionDays }, intIn(logRetentionDays...)),
	intField("artifactNoncurrentVersionExpirationDays", func(c *Config) *int { return &c.NoncurrentVersionExpirationDays }, intRange(1, 3650)),
	stringField("processingInstanceType", func(c *Config) *string { return &c.ProcessingInstanceType }, matches(instanceTypePattern, instanceTypeRule)),
	stringField("trainingInstanceType", func(c *Config) *string { return &c.TrainingInstanceType }, matches(instanceTypePattern, instanceTypeRule)),
	stringField("modelPackageArn", func(c *Config) *string { return &c.ModelPackageArn }, optional(matches(modelPackagePattern, "the ARN of a versioned model package, arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>"))),
	intField("testGate.invocations", func(c *Config) *int { return &c.TestGate.Invocations }, deploybuild.CheckTestInvocations),
	intField("testGate.p95LatencyMs", func(c *Config) *int { return &c.TestGate.P95LatencyMs }, deploybuild.CheckTestP95LatencyMs),
	stringField("bootstrapQualifier", func(c *Config) *string { return &c.BootstrapQualifier }, matches(qualifierPattern, "a CDK bootstrap qualifier: 1-10 lowercase letters and digits")),
	boolField("requireSeparateStageAccounts", func(c *Config) *bool { return &c.RequireSeparateStageAccounts }),
	boolField("studio.enabled", func(c *Config) *bool { return &c.Studio.Enabled }),
	stringField("studio.domainId", func(c *Config) *string { return &c.Studio.DomainID }, optional(matches(domainPattern, "a SageMaker domain id, d- and lowercase letters and digits"))),
	listField("notifications.emails", func(c *Config) *[]string { return &c.NotificationEmails }, email.Check),
	stringField("build.goProxy", func(c *Config) *string { return &c.GoProxy }, optional(network.CheckGoProxy)),
	stringField("build.pipIndexUrl", func(c *Config) *string { return &c.PipIndexURL }, optional(network.CheckPackageIndex)),
}

// networkFields are the keys of a VPC placement below prefix (e.g. "vpc." or
// "staging.vpc."); the rules that involve the three keys are checked together
// (Config.networkProblems).
func networkFields(prefix string, placement func(*Config) *network.Placement) []field {
	return []field{
		stringField(prefix+"id", func(c *Config) *string { return &placement(c).VpcID }, optional(network.CheckVpcID)),
		listField(prefix+"subnetIds", func(c *Config) *[]string { return &placement(c).SubnetIDs }, anyList),
		listField(prefix+"securityGroupIds", func(c *Config) *[]string { return &placement(c).SecurityGroupIDs }, network.CheckSecurityGroupIDs),
	}
}

func init() {
	fields = append(fields, repositoryFields("modelBuild.", func(c *Config) *Repository { return &c.ModelBuild })...)
	fields = append(fields, repositoryFields("modelDeploy.", func(c *Config) *Repository { return &c.ModelDeploy })...)
	fields = append(fields, stageFields("staging.", func(c *Config) *Stage { return &c.Staging })...)
	fields = append(fields, stageFields("prod.", func(c *Config) *Stage { return &c.Prod })...)
	fields = append(fields, networkFields("vpc.", func(c *Config) *network.Placement { return &c.Network })...)
	for _, name := range project.PipelineStages() {
		fields = append(fields, networkFields(string(name)+".vpc.", func(c *Config) *network.Placement { return &c.stage(name).Network })...)
	}
	for _, f := range fields {
		fieldsByKey[f.key] = f
	}
}

// fieldsByKey indexes fields; init fills it once the stage fields are added.
var fieldsByKey = map[string]field{}

// Keys returns every configuration key, sorted.
func Keys() []string {
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		keys = append(keys, f.key)
	}
	sort.Strings(keys)
	return keys
}

var (
	accountPattern      = regexp.MustCompile(`^[0-9]{12}$`)
	domainPattern       = regexp.MustCompile(`^d-(-*[a-z0-9]){1,61}$`)
	qualifierPattern    = regexp.MustCompile(`^[a-z0-9]{1,10}$`)
	instanceTypePattern = regexp.MustCompile(`^ml\.[a-z0-9]+\.[a-z0-9]+$`)
	instanceTypeRule    = "a SageMaker instance type such as ml.m5.xlarge"
	modelPackagePattern = regexp.MustCompile(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}/[0-9]+$`)
)

// logRetentions maps the retention periods CloudWatch Logs accepts to the CDK's names.
var logRetentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// logRetentionDays are the keys of logRetentions, sorted.
var logRetentionDays = func() []int {
	days := make([]int, 0, len(logRetentions))
	for d := range logRetentions {
		days = append(days, d)
	}
	sort.Ints(days)
	return days
}()

// stringField is a key whose value is a string. A value built in code may be a token
// (a Studio template's parameter): CloudFormation checks it, with the parameter's
// constraints, so the rule is not applied to it.
func stringField(key string, ptr func(*Config) *string, rule func(string) error) field {
	return field{
		key: key,
		get: func(c Config) string { return *ptr(&c) },
		set: func(c *Config, v string) error { *ptr(c) = v; return nil },
		check: func(c Config) error {
			if v := *ptr(&c); !tokens.Is(v) {
				return rule(v)
			}
			return nil
		},
	}
}

// listField is a key whose value is a list of strings, written separated by commas.
func listField(key string, ptr func(*Config) *[]string, rule func([]string) error) field {
	return field{
		key: key,
		get: func(c Config) string { return strings.Join(*ptr(&c), ",") },
		set: func(c *Config, v string) error {
			var items []string
			for _, item := range strings.Split(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					items = append(items, item)
				}
			}
			*ptr(c) = items
			return nil
		},
		check: func(c Config) error { return rule(*ptr(&c)) },
	}
}

func intField(key string, ptr func(*Config) *int, rule func(int) error) field {
	return field{
		key: key,
		get: func(c Config) string { return strconv.Itoa(*ptr(&c)) },
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("must be a whole number")
			}
			*ptr(c) = n
			return nil
		},
		check: func(c Config) error { return rule(*ptr(&c)) },
	}
}

func boolField(key string, ptr func(*Config) *bool) field {
	return field{
		key: key,
		get: func(c Config) string { return strconv.FormatBool(*ptr(&c)) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("must be true or false")
			}
			*ptr(c) = b
			return nil
		},
		check: func(Config) error { return nil },
	}
}

func oneOf(allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

func matches(re *regexp.Regexp, what string) func(string) error {
	return func(v string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("must be %s", what)
		}
		return nil
	}
}

// optional lets the empty string through and applies rule to anything else.
func optional(rule func(string) error) func(string) error {
	return func(v string) error {
		if v == "" {
			return nil
		}
		return rule(v)
	}
}

// anyString and anyInt accept every value of a key whose rule involves other keys,
// checked once all are read.
func anyString(string) error { return nil }
func anyInt(int) error       { return nil }
func anyList([]string) error { return nil }

func intRange(lo, hi int) func(int) error {
	return func(n int) error {
		if n < lo || n > hi {
			return fmt.Errorf("must be between %d and %d", lo, hi)
		}
		return nil
	}
}

func intIn(allowed ...int) func(int) error {
	return func(n int) error {
		for _, a := range allowed {
			if n == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Trim(fmt.Sprint(allowed), "[]"))
	}
}

// knownRegions are the regions the CDK knows, by partition.
var knownRegions = sync.OnceValue(func() map[string]*string {
	return *regioninfo.RegionInfo_RegionMap(regioninfo.FactName_PARTITION())
})

// knownRegion accepts the regions the CDK's region facts list.
func knownRegion(v string) error {
	if _, ok := knownRegions()[v]; !ok {
		return fmt.Errorf("must be an AWS region the CDK knows, such as eu-west-1 or us-east-1")
	}
	return nil
}
