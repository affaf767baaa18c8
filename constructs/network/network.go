// Package network places a project's SageMaker endpoints and jobs, builds and
// functions in a VPC of your own: the subnets and security groups they run in
// (Placement), the security group created for them when none is given
// (NewSecurityGroup), the EC2 network-interface permissions their roles need there
// (GrantNetworkInterfaces for SageMaker, scoped to those subnets and security groups;
// NewServicePolicy for CodeBuild and Lambda, as they document it), the VPC endpoints
// the subnets need (Endpoints), and the package mirrors the builds may use instead of
// the public registries (EnvGoProxy, EnvPipIndexURL).
package network

import (
	"fmt"
	"regexp"
	"strings"
)

// Placement is a VPC's subnets and security groups that a resource runs in.
type Placement struct {
	// VpcID is the VPC, e.g. vpc-0a1b2c3d4e5f67890. Required.
	VpcID string
	// SubnetIDs are private subnets of the VPC, in different Availability Zones.
	// Required: at least MinSubnets.
	SubnetIDs []string
	// SecurityGroupIDs are the VPC's security groups the resource gets. Default: none,
	// a security group is created for it (NewSecurityGroup).
	SecurityGroupIDs []string
}

// MinSubnets is how many subnets a placement needs: SageMaker recommends endpoints in
// at least two Availability Zones, and jobs and builds then survive the loss of one.
const MinSubnets = 2

// MaxSubnets and MaxSecurityGroups are the most SageMaker's VpcConfig accepts.
const (
	MaxSubnets        = 16
	MaxSecurityGroups = 5
)

// IsSet says whether the placement names a VPC (the zero Placement does not: the
// resource runs on AWS-managed networking).
func (p Placement) IsSet() bool {
	return p.VpcID != "" || len(p.SubnetIDs) > 0 || len(p.SecurityGroupIDs) > 0
}

var (
	vpcID           = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetID        = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	securityGroupID = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// The rules below check one setting each and say what is allowed, without naming the
// setting, so that the props and the app's configuration keys report them under
// their own names.

// CheckVpcID says why id is not a VPC id, or returns nil.
func CheckVpcID(id string) error {
	if !vpcID.MatchString(id) {
		return fmt.Errorf("must be a VPC id: vpc- and 8 or 17 hexadecimal digits")
	}
	return nil
}

// CheckSubnetIDs says why ids are not the subnets of a placement, or returns nil.
func CheckSubnetIDs(ids []string) error {
	if err := checkIDs(ids, subnetID, "a subnet id: subnet- and 8 or 17 hexadecimal digits"); err != nil {
		return err
	}
	if len(ids) < MinSubnets || len(ids) > MaxSubnets {
		return fmt.Errorf("must be %d to %d different subnets, in different Availability Zones (SageMaker recommends endpoints in two or more), separated by commas", MinSubnets, MaxSubnets)
	}
	return nil
}

// CheckSecurityGroupIDs says why ids are not the security groups of a placement, or
// returns nil. None is allowed: one is then created.
func CheckSecurityGroupIDs(ids []string) error {
	if err := checkIDs(ids, securityGroupID, "a security group id: sg- and 8 or 17 hexadecimal digits"); err != nil {
		return err
	}
	if len(ids) > MaxSecurityGroups {
		return fmt.Errorf("must be at most %d security groups, separated by commas", MaxSecurityGroups)
	}
	return nil
}

// checkIDs checks that ids are distinct and each matches pattern.
func checkIDs(ids []string, pattern *regexp.Regexp, what string) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if !pattern.MatchString(id) {
			return fmt.Errorf("%q must be %s", id, what)
		}
		if seen[id] {
			return fmt.Errorf("names %q twice", id)
		}
		seen[id] = true
	}
	return nil
}

// Check says, naming each prop, why the placement is invalid, or returns nil. The zero
// Placement is valid: no VPC.
func (p Placement) Check() error {
	if !p.IsSet() {
		return nil
	}
	var problems []string
	if err := CheckVpcID(p.VpcID); err != nil {
		problems = append(problems, fmt.Sprintf("VpcID %q %v", p.VpcID, err))
	}
	if err := CheckSubnetIDs(p.SubnetIDs); err != nil {
		problems = append(problems, fmt.Sprintf("SubnetIDs %q %v", strings.Join(p.SubnetIDs, ","), err))
	}
	if err := CheckSecurityGroupIDs(p.SecurityGroupIDs); err != nil {
		problems = append(problems, fmt.Sprintf("SecurityGroupIDs %q %v", strings.Join(p.SecurityGroupIDs, ","), err))
	}
	if len(problems) > 0 {
		return fmt.Errorf("network.Placement: %s", strings.Join(problems, "; "))
	}
	return nil
}
