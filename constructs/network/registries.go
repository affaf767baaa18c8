package network

import (
	"fmt"
	"net/url"
	"strings"
)

// The builds download what they build with; in a VPC without a route to the public
// registries, these variables point them at mirrors the subnets reach. The buildspecs
// check the registry first, and fail within seconds naming it and the project's key
// that changes it.
const (
	// EnvGoProxy is Go's module proxy setting (GOPROXY's syntax), for the ModelDeploy
	// build and the test gate.
	EnvGoProxy = "GOPROXY"
	// EnvPipIndexURL is pip's package index, for the ModelBuild build and the
	// ModelDeploy build (which installs the emulator its tests run against).
	EnvPipIndexURL = "PIP_INDEX_URL"
)

// CheckPackageIndex says why index is not a Python package index URL the builds can
// use, or returns nil.
func CheckPackageIndex(index string) error {
	if !httpsURL(index) {
		return fmt.Errorf("must be the https:// URL of a Python package index (pip's --index-url), e.g. a CodeArtifact repository's")
	}
	return nil
}

// CheckGoProxy says why proxy is not a GOPROXY setting the builds can use, or returns
// nil: https:// proxy URLs and `direct`, separated by commas or pipes.
func CheckGoProxy(proxy string) error {
	if strings.TrimSpace(proxy) == "" {
		return fmt.Errorf("must name a Go module proxy")
	}
	for _, entry := range strings.FieldsFunc(proxy, func(r rune) bool { return r == ',' || r == '|' }) {
		if entry != "direct" && !httpsURL(entry) {
			return fmt.Errorf("%q must be the https:// URL of a Go module proxy, or direct (GOPROXY's syntax: entries separated by commas or pipes)", entry)
		}
	}
	return nil
}

func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && !strings.ContainsAny(s, " \t\n\"'`$")
}
