package endpoint

import (
	"fmt"
	"regexp"
	"strings"
)

// The rules below check one endpoint setting each. They return what is allowed, without
// naming the setting, so that both the construct's props and the app's configuration
// keys can report them under their own names.

// MaxEndpointNameLength is the longest endpoint name SageMaker accepts.
const MaxEndpointNameLength = 63

var (
	instanceTypePattern = regexp.MustCompile(`^ml\.[a-z0-9]+\.[a-z0-9]+$`)
	capturePrefix       = regexp.MustCompile(`^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$`)
)

// ServerlessMemorySizes are the memory sizes, in MiB, of serverless endpoints.
var ServerlessMemorySizes = []int{1024, 2048, 3072, 4096, 5120, 6144}

// CheckEndpointName says why name cannot name an endpoint, or returns nil.
func CheckEndpointName(name string) error {
	if len(name) > MaxEndpointNameLength {
		return fmt.Errorf("gives the endpoint name %q of %d characters; SageMaker allows at most %d: shorten the project name or the stage", name, len(name), MaxEndpointNameLength)
	}
	return nil
}

// CheckInstanceType says why t is not a SageMaker instance type, or returns nil.
func CheckInstanceType(t string) error {
	if !instanceTypePattern.MatchString(t) {
		return fmt.Errorf("must be a SageMaker instance type such as ml.m5.large")
	}
	return nil
}

// Instance families whose hosts have NVMe instance storage, which SageMaker encrypts in
// hardware: a family with a "d" in its attributes (ml.m5d, ml.g4dn, ml.p4d, ml.r6id,
// ...) or one of these.
var (
	instanceStorageAttributes = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*d[a-z]*$`)
	instanceStorageFamilies   = map[string]bool{
		"g5": true, "g6": true, "g6e": true, "gr6": true, "p5": true, "p5e": true, "p5en": true,
		"trn1": true, "trn1n": true, "trn2": true, "dl1": true,
	}
)

// HasInstanceStorage tells whether instances of type t store data on NVMe instance
// storage, encrypted by the hardware, instead of an EBS volume: SageMaker rejects a
// storage KmsKeyId for them.
func HasInstanceStorage(t string) bool {
	parts := strings.Split(t, ".")
	if len(parts) != 3 {
		return false
	}
	return instanceStorageFamilies[parts[1]] || instanceStorageAttributes.MatchString(parts[1])
}

// CheckInstanceCount says why n cannot be an initial instance count, or returns nil.
func CheckInstanceCount(n int) error {
	if n < 1 || n > 100 {
		return fmt.Errorf("must be between 1 and 100")
	}
	return nil
}

// CheckAutoscaling says why the bounds and target cannot configure autoscaling of an
// endpoint starting with initial instances, or returns nil. maxCapacity 0 means no
// autoscaling, and then the other values are not checked.
func CheckAutoscaling(initial, minCapacity, maxCapacity, targetInvocations int) error {
	if maxCapacity == 0 {
		return nil
	}
	switch {
	case minCapacity < 1:
		return fmt.Errorf("minimum capacity %d must be at least 1", minCapacity)
	case maxCapacity < minCapacity:
		return fmt.Errorf("maximum capacity %d must be at least the minimum capacity %d", maxCapacity, minCapacity)
	case maxCapacity > 100:
		return fmt.Errorf("maximum capacity %d must be at most 100", maxCapacity)
	case initial < minCapacity || initial > maxCapacity:
		return fmt.Errorf("initial instance count %d must be between the minimum %d and maximum %d capacity", initial, minCapacity, maxCapacity)
	case targetInvocations < 1:
		return fmt.Errorf("target invocations per instance %d must be at least 1", targetInvocations)
	}
	return nil
}

// CheckServerlessMemory says why mib is not a serverless memory size, or returns nil.
func CheckServerlessMemory(mib int) error {
	for _, m := range ServerlessMemorySizes {
		if mib == m {
			return nil
		}
	}
	return fmt.Errorf("must be one of %s MiB", strings.Trim(fmt.Sprint(ServerlessMemorySizes), "[]"))
}

// CheckServerlessConcurrency says why n cannot be a serverless endpoint's maximum
// concurrency, or returns nil.
func CheckServerlessConcurrency(n int) error {
	if n < 1 || n > 200 {
		return fmt.Errorf("must be between 1 and 200")
	}
	return nil
}

// CheckSamplingPercentage says why p cannot be a data capture sampling percentage, or
// returns nil.
func CheckSamplingPercentage(p int) error {
	if p < 0 || p > 100 {
		return fmt.Errorf("must be between 0 and 100")
	}
	return nil
}

// CheckCapturePrefix says why prefix cannot be the S3 key prefix of captured data, or
// returns nil.
func CheckCapturePrefix(prefix string) error {
	if !capturePrefix.MatchString(prefix) || len(prefix) > 512 {
		return fmt.Errorf("must be an S3 key prefix of letters, digits and !_.*'()- separated by single slashes, without leading or trailing slash")
	}
	return nil
}
