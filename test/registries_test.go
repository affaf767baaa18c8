package test

import (
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// registryCheck is the command of a buildspec's phase that checks the registries.
func registryCheck(t *testing.T, buildspec, phase string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "seedcode", buildspec))
	require.NoError(t, err)
	var spec struct {
		Phases map[string]struct {
			Commands []string `yaml:"commands"`
		} `yaml:"phases"`
	}
	require.NoError(t, yaml.Unmarshal(data, &spec))
	for _, c := range spec.Phases[phase].Commands {
		if strings.Contains(c, "cannot reach") {
			return c
		}
	}
	t.Fatalf("%s has no registry check in its %s phase", buildspec, phase)
	return ""
}

// unreachable is a URL nothing listens on.
func unreachable(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "https://" + addr
}

// Each build checks the registries it downloads from before anything else: an
// unreachable one fails the build at once, naming it and the key that names a mirror;
// reachable ones (here a local server, as a mirror would be) let it go on. The
// ModelDeploy build checks them before it compiles (build.sh's check_registries); its
// test gate downloads nothing, as the Build stage compiled it.
func TestABuildThatCannotReachItsRegistriesFailsAtOnceNamingThem(t *testing.T) {
	mirror := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/simple/pip/" && r.URL.Path != "/go/github.com/aws/jsii-runtime-go/@v/list" {
			http.NotFound(w, r)
		}
	}))
	defer mirror.Close()
	certFile := filepath.Join(t.TempDir(), "mirror.pem")
	require.NoError(t, os.WriteFile(certFile, pemOf(mirror), 0o644))
	down := unreachable(t)
	run := func(command string, env ...string) (string, error) {
		cmd := exec.Command("bash", "-c", command)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "CURL_CA_BUNDLE=" + certFile}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, tc := range []struct {
		buildspec, check string
		goProxy          bool
	}{
		{"modeldeploy/build.sh", ". " + filepath.Join(testutil.RepoRoot(), "seedcode", "modeldeploy", deploybuild.BuildScript) + " && check_registries", true},
		{"modelbuild/codebuild-buildspec.yml", registryCheck(t, "modelbuild/codebuild-buildspec.yml", "install"), false},
	} {
		check := tc.check
		mirrors := []string{"GOPROXY=" + mirror.URL + "/go,direct", "PIP_INDEX_URL=" + mirror.URL + "/simple"}
		out, err := run(check, mirrors...)
		assert.NoError(t, err, "%s with reachable mirrors: %s", tc.buildspec, out)
		if tc.goProxy {
			out, err = run(check, "GOPROXY="+down, "PIP_INDEX_URL="+mirror.URL+"/simple")
			require.Error(t, err, tc.buildspec)
			assert.Contains(t, out, "cannot reach the Go module proxy "+down+" within 20 s: give its subnets a route to it (NAT), or deploy the project with build.goProxy set to a proxy they reach", tc.buildspec)
		}
		out, err = run(check, "GOPROXY="+mirror.URL+"/go", "PIP_INDEX_URL="+down+"/simple")
		require.Error(t, err, tc.buildspec)
		assert.Contains(t, out, "cannot reach the Python package index "+down+"/simple within 20 s", tc.buildspec)
		assert.Contains(t, out, "build.pipIndexUrl", tc.buildspec)
	}
}

// pemOf is the PEM of server's certificate, for curl to trust.
func pemOf(server *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})
}
