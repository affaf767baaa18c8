// Command upgrade-modeldeploy moves a project's ModelDeploy repository to the
// version of this library the command is run from:
//
//	go run github.com/sagemaker-mlops-cdk/mlops/cmd/upgrade-modeldeploy@<version> <checkout>
//
// where <checkout> is a clone of the ModelDeploy repository. It replaces the bundled
// library (third_party/mlops) with the packages the repository's code imports,
// updates the seed files the team has not changed since they were seeded, writes the
// new version of the ones it changed beside them (<file>.upgrade), and prints what it
// did. It changes nothing in Git: review, test, commit and push the result, and the
// deploy pipeline builds with the new library. Run it from a build without -trimpath
// (go run is one): it reads the library's source from where the module was built.
package main

import (
	"fmt"
	"os"

	"github.com/sagemaker-mlops-cdk/mlops/seedcode"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: upgrade-modeldeploy <ModelDeploy repository checkout>")
		os.Exit(2)
	}
	report, err := seedcode.Upgrade(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "upgrade-modeldeploy:", err)
		os.Exit(1)
	}
	fmt.Print(report)
}
