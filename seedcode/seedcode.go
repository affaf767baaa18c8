// Package seedcode locates the seed code this module ships: the code a new project's
// repositories start with. The directories are bundled as CDK assets at synthesis.
package seedcode

import (
	"path/filepath"
	"runtime"
)

// Directory names of the seeds below this package.
const (
	ModelBuild  = "modelbuild"
	ModelDeploy = "modeldeploy"
)

// Dir returns the absolute path of the named seed directory. It resolves the path from
// this source file, so it does not depend on the working directory (go test runs in the
// package directory, cdk synth in the cdk.json directory).
func Dir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), name)
}
