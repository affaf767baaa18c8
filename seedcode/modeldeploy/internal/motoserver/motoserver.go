// Package motoserver runs a moto server (a local AWS emulator, PyPI package
// moto[server]) on 127.0.0.1 for the tests of this module, and builds AWS clients that
// talk to it with fake credentials.
package motoserver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region and Account are the emulator's defaults, which the tests use.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// Server is a running moto server.
type Server struct {
	// URL is the server's endpoint, http://127.0.0.1:<port>.
	URL string
	cmd *exec.Cmd
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
)

// Shared starts one moto server for the whole test binary (stop it with Stop in
// TestMain) and resets its state, so each test starts from an empty emulator. It
// fails the test when moto_server is not on PATH.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = start() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	if err := shared.Post("/moto-api/reset", nil); err != nil {
		t.Fatal(err)
	}
	return shared
}

// Main runs a package's tests, then stops the shared server (and runs after, if
// given, e.g. to stop the jsii runtime).
func Main(m *testing.M, after ...func()) {
	code := m.Run()
	Stop()
	for _, f := range after {
		f()
	}
	os.Exit(code)
}

// Stop stops the shared server, if it was started.
func Stop() {
	if shared != nil && shared.cmd.Process != nil {
		_ = shared.cmd.Process.Kill()
		_ = shared.cmd.Wait()
	}
}

func start() (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server is not on PATH: pip install \"moto[server]==5.2.5\" (make test puts the repository's venv on PATH)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port)}
	s.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.URL + "/moto-api/data.json"); err == nil {
			resp.Body.Close()
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = s.cmd.Process.Kill()
	return nil, fmt.Errorf("moto_server did not answer on %s within 30s", s.URL)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Post sends a JSON body to one of moto's own APIs (e.g. /moto-api/reset).
func (s *Server) Post(path string, body []byte) error {
	resp, err := http.Post(s.URL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %s", path, resp.Status)
	}
	return nil
}

// Config is an AWS configuration that reaches the server with fake credentials.
func (s *Server) Config(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(Region),
		config.WithBaseEndpoint(s.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
