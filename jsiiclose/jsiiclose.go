// Package jsiiclose stops the jsii runtime that runs the CDK in a node process.
//
// jsii-runtime-go waits for the node process from two places when it closes (a
// goroutine started with the process, and Close itself). When Close reaps the process
// first, the goroutine's wait fails and it prints "Runtime process exited abnormally:
// waitid: no child processes" although node exited cleanly. Close here filters that one
// line out of standard error and lets everything else through, so a clean synth prints
// nothing.
package jsiiclose

import (
	"io"
	"os"
	"strings"

	"github.com/aws/jsii-runtime-go"
)

// spurious is the message of the race described in the package comment.
const spurious = "Runtime process exited abnormally: waitid: no child processes"

// Close stops the jsii runtime. Call it once, after the last jsii call, just before
// the program exits: it leaves os.Stderr closed for the rest of the program, so a late
// message from the runtime's goroutine is dropped rather than printed.
func Close() {
	r, w, err := os.Pipe()
	if err != nil {
		jsii.Close()
		return
	}
	stderr := os.Stderr
	os.Stderr = w
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		data, _ := io.ReadAll(r)
		if rest := strings.ReplaceAll(string(data), spurious, ""); rest != "" {
			_, _ = stderr.WriteString(rest)
		}
	}()
	jsii.Close()
	_ = w.Close()
	<-forwarded
}
