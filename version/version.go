// Package version is the version of this construct library. The ModelDeploy seed
// carries the library it was created with and says which version it is when it
// builds, so that a project's deploy repository tells what it runs.
package version

// Version is this library's version, as its release tag names it.
const Version = "v0.2.0-dev"
