// Package seedcode locates the seed code this module ships: the code a new project's
// repositories start with. The directories are bundled as CDK assets at synthesis.
package seedcode

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
)

// Directory names of the seeds below this package.
const (
	ModelBuild  = "modelbuild"
	ModelDeploy = "modeldeploy"
)

// LibraryDir is where the ModelDeploy seed carries this module's Go source, relative
// to the seed's root.
const LibraryDir = "third_party/mlops"

// Dir returns the absolute path of the named seed directory. It resolves the path from
// this source file, so it does not depend on the working directory (go test runs in the
// package directory, cdk synth in the cdk.json directory).
func Dir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), name)
}

// moduleRoot is the root of this module's source: the parent of this package.
func moduleRoot() string { return filepath.Dir(Dir(".")) }

// Code returns the named seed as the code a new repository starts with: its
// directory's files without source.SeedExcludes. The ModelDeploy seed is a Go CDK app
// built on this module, so it also carries this module's Go source below LibraryDir,
// and its go.mod points the module there: the deploy pipeline then synthesizes the
// endpoint stacks with the library that created the project, and needs no published
// release of it.
func Code(name string) source.SeedCode {
	if name == ModelDeploy {
		return withLibrary{dir: Dir(name), root: moduleRoot()}
	}
	return source.SeedDirectory(Dir(name))
}

// withLibrary is a Go seed that carries the module at root below LibraryDir.
type withLibrary struct{ dir, root string }

// Directory is the seed's directory.
func (s withLibrary) Directory() string { return s.dir }

// WriteTo writes the seed's files, the module's Go source below LibraryDir, and the
// seed's go.mod with a replace directive that points the module at that copy.
func (s withLibrary) WriteTo(dir string) error {
	if err := source.CopyTree(s.dir, dir); err != nil {
		return err
	}
	module, err := modulePath(filepath.Join(s.root, "go.mod"))
	if err != nil {
		return err
	}
	if err := copyModule(s.root, filepath.Join(dir, LibraryDir)); err != nil {
		return err
	}
	gomod := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	data = append(data, fmt.Sprintf("\n// The construct library this project was created with, bundled with the seed.\nreplace %s => ./%s\n", module, LibraryDir)...)
	return os.WriteFile(gomod, data, 0o644)
}

// modulePath reads the module path from a go.mod file.
func modulePath(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		if fields := strings.Fields(scanner.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`), nil
		}
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// copyModule copies what building the module's packages needs: go.mod, go.sum and
// every Go source file but tests. It leaves out hidden directories, testdata, synth
// output, nested modules (such as the seeds), and the test and examples trees, none of
// which a package of the library imports.
func copyModule(root, dst string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "cdk.out" || name == "node_modules" || rel == "test" || rel == "examples" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		keep := rel == "go.mod" || rel == "go.sum" ||
			strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go")
		if !keep || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
