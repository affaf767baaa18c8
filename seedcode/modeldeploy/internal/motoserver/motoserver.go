// Package motoserver runs a moto server (a local AWS emulator, PyPI package
// moto[server]) on 127.0.0.1 for the tests of this module, and builds AWS clients that
// talk to it with fake credentials.
package motoserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
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

// start runs moto_server on a port the system picks and reads the port from the
// server's own startup line: a port chosen beforehand could be taken by another
// emulator in between (test runs side by side), and the tests would then talk to it.
func start() (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server is not on PATH: pip install \"moto[server]==5.2.5\" (make test puts the repository's venv on PATH)")
	}
	s := &Server{cmd: exec.Command(bin, "-H", "127.0.0.1", "-p", "0")}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %v", err)
	}
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			if m := runningOn.FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		close(found)
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case url, ok := <-found:
		if ok {
			s.URL = url
			return s, nil
		}
	case <-time.After(30 * time.Second):
	}
	_ = s.cmd.Process.Kill()
	return nil, fmt.Errorf("moto_server did not say where it runs within 30s")
}

// runningOn is the line moto_server logs once it listens.
var runningOn = regexp.MustCompile(`Running on (http://127\.0\.0\.1:[0-9]+)`)

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
