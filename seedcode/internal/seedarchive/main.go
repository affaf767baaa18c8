// Command seedarchive writes seedcode/modeldeploy.txtar, the ModelDeploy seed as the
// module ships it, from the files of seedcode/modeldeploy under version control (the
// development workspace files go.work and go.work.sum left out). Run it with
// `make seed-archive` or `go generate ./seedcode`, from the repository.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sagemaker-mlops-cdk/mlops/internal/gitfiles"
	"github.com/sagemaker-mlops-cdk/mlops/seedcode"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "seedarchive:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := seedcode.Dir(seedcode.ModelDeploy)
	names, err := gitfiles.Seed(dir)
	if err != nil {
		return err
	}
	data, err := seedcode.NewArchive(dir, names)
	if err != nil {
		return err
	}
	target := filepath.Join(filepath.Dir(dir), seedcode.ArchiveFile)
	if err := os.WriteFile(target, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d files\n", target, len(names))
	return nil
}
