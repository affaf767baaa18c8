// Command bench measures how much the whole app costs to synthesize compared with a
// one-bucket Go CDK app (the floor every Go CDK app pays to start jsii and load
// aws-cdk-lib), running the two alternately so that both see the same machine load,
// and how long the Go tests take. Both apps are also timed without CDK's built-in
// CloudFormation validation, which dominates the synth of small apps, to show what the
// project's constructs cost by themselves. It prints the medians and their ratios,
// then the warm wall time of `make test` on a fresh clone of HEAD (its tools
// installed first, untimed; the machine's Go caches as they are); nothing asserts on
// them.
//
//	make bench        (from the repository's root, which it must run in)
//	go build -C test -o ../.tools/bin/bench ./bench && .tools/bin/bench [-runs 7]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

func main() {
	runs := flag.Int("runs", 7, "synths of each app (at least 5)")
	withTests := flag.Bool("make-test", true, "also time `make test` on a fresh clone of HEAD")
	flag.Parse()
	if *runs < 5 {
		fail(fmt.Errorf("-runs %d: use at least 5 for a meaningful median", *runs))
	}
	if err := run(*runs, *withTests); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func run(runs int, withTests bool) error {
	dir, err := os.MkdirTemp("", "mlops-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Both apps are compiled first: the benchmark times synthesis, not compilation.
	// The one-bucket app is a package of the whole-app tests' module, in test/.
	for _, app := range []struct{ name, module, pkg string }{{"app", ".", "."}, {"one-bucket", "test", "./bench/onebucket"}} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, app.name), app.pkg)
		build.Dir = app.module
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", app.pkg, err, out)
		}
	}
	context, err := cdkContext()
	if err != nil {
		return err
	}

	// Each run synthesizes both apps as `cdk synth` does, then both again without CDK's
	// built-in CloudFormation validation (CDK_VALIDATION=false), which costs the same
	// fixed start-up in both apps and then time per template: the second pair shows
	// what the project's own constructs cost over the floor.
	variants := []struct{ name, env string }{{"", ""}, {" without CDK's template validation", "CDK_VALIDATION=false"}}
	times := map[string][]time.Duration{}
	for i := 0; i < runs; i++ {
		for _, v := range variants {
			for _, name := range []string{"app", "one-bucket"} {
				out := filepath.Join(dir, fmt.Sprintf("out-%s-%d-%d", name, i, len(v.env)))
				d, err := synth(filepath.Join(dir, name), out, context, v.env)
				if err != nil {
					return fmt.Errorf("synth %s: %v", name, err)
				}
				times[name+v.name] = append(times[name+v.name], d)
			}
		}
	}
	for _, v := range variants {
		app, base := median(times["app"+v.name]), median(times["one-bucket"+v.name])
		fmt.Printf("synth%s, median of %d alternating runs each:\n", v.name, runs)
		fmt.Printf("  whole app (3 stacks)   %6.2fs   runs: %s\n", app.Seconds(), list(times["app"+v.name]))
		fmt.Printf("  one-bucket app         %6.2fs   runs: %s\n", base.Seconds(), list(times["one-bucket"+v.name]))
		fmt.Printf("  ratio app/one-bucket   %6.2f", app.Seconds()/base.Seconds())
		if v.env == "" {
			fmt.Printf("   (goal: <= 1.30)")
		} else {
			fmt.Printf("   (app's own cost over the floor: %.2fs)", (app - base).Seconds())
		}
		fmt.Println()
	}

	if withTests {
		d, err := makeTestOnAFreshClone(dir)
		if err != nil {
			return err
		}
		fmt.Printf("make test, warm, on a fresh clone of HEAD   %6.1fs wall   (goal: <= 300s)\n", d.Seconds())
	}
	return nil
}

// makeTestOnAFreshClone clones HEAD into dir, installs its tools (make deps, untimed)
// and times make test there, with CI=true as CI runs it.
func makeTestOnAFreshClone(dir string) (time.Duration, error) {
	clone := filepath.Join(dir, "clone")
	steps := [][]string{{"git", "clone", "-q", ".", clone}, {"make", "-C", clone, "deps"}}
	for _, step := range steps {
		if out, err := exec.Command(step[0], step[1:]...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%v: %v\n%s", step, err, out)
		}
	}
	cmd := exec.Command("make", "test")
	cmd.Dir = clone
	cmd.Env = append(os.Environ(), "CI=true")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		log := filepath.Join(".tools", "bin", "bench-make-test.log")
		_ = os.WriteFile(log, out, 0o644)
		return 0, fmt.Errorf("make test on a fresh clone: %v (its output: %s)", err, log)
	}
	return d, nil
}

// cdkContext is cdk.json's context plus what the CDK CLI adds to every synth, so the
// apps synthesize as `cdk synth` would run them.
func cdkContext() (string, error) {
	data, err := os.ReadFile("cdk.json")
	if err != nil {
		return "", fmt.Errorf("run from the repository root: %v", err)
	}
	var cdk struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &cdk); err != nil {
		return "", err
	}
	cdk.Context["aws:cdk:enable-path-metadata"] = true
	cdk.Context["aws:cdk:enable-asset-metadata"] = true
	cdk.Context["aws:cdk:version-reporting"] = true
	out, err := json.Marshal(cdk.Context)
	return string(out), err
}

func synth(binary, outdir, context, env string) (time.Duration, error) {
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+outdir, "CDK_CONTEXT_JSON="+context)
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%v\n%s", err, out)
	}
	return d, nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func list(ds []time.Duration) string {
	out := ""
	for i, d := range ds {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.2f", d.Seconds())
	}
	return out
}
