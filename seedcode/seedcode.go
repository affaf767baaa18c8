// Package seedcode locates the seed code this module ships: the code a new project's
// repositories start with. The directories are bundled as CDK assets at synthesis.
package seedcode

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
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

// Code returns the named seed as the code a new repository starts with: the ModelBuild
// seed is its directory's files without source.SeedExcludes, the ModelDeploy seed
// the files of its directory under version control, as ArchiveFile holds them. The
// ModelDeploy seed is a Go CDK app
// built on this module, so it also carries the Go source of the module's packages it
// imports below LibraryDir, and its go.mod points the module there: the deploy
// pipeline then synthesizes the endpoint stacks with the library that created the
// project, and needs no published release of it.
func Code(name string) source.SeedCode {
	if name == ModelDeploy {
		return withLibrary{archive: modelDeployArchive, root: moduleRoot()}
	}
	return source.SeedDirectory(Dir(name))
}

// withLibrary is a Go seed, kept in a txtar archive (see ArchiveFile), that carries
// the packages it imports of the module at root below LibraryDir.
type withLibrary struct {
	archive []byte
	root    string
}

// Directory is where the seed comes from.
func (s withLibrary) Directory() string { return filepath.Join(Dir("."), ArchiveFile) }

// WriteTo writes the seed's files, the module's Go source below LibraryDir, the
// seed's go.mod with a replace directive that points the module at that copy, and
// the Manifest that Upgrade later compares the repository with.
func (s withLibrary) WriteTo(dir string) error {
	if err := s.writeSeed(dir); err != nil {
		return err
	}
	if err := writeLibrary(dir, s.root); err != nil {
		return err
	}
	m, err := newManifest(dir)
	if err != nil {
		return err
	}
	return m.write(dir)
}

// writeSeed writes the seed's own files, its go.mod pointing the module at
// LibraryDir.
func (s withLibrary) writeSeed(dir string) error {
	if err := writeArchive(s.archive, dir); err != nil {
		return err
	}
	module, err := modulePath(filepath.Join(s.root, "go.mod"))
	if err != nil {
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

// writeLibrary writes below dir's LibraryDir the packages of the module at root that
// the Go code in dir imports.
func writeLibrary(dir, root string) error {
	module, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	return copyModule(dir, root, module, filepath.Join(dir, LibraryDir))
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

// copyModule copies what building the seed needs of the module at root: go.mod,
// go.sum, and the Go source (tests left out) of the module's packages the seed at seed
// imports, directly or through each other. The import graph is read from the files'
// import clauses, so the copy holds exactly the packages the seed compiles (see
// Packages), not the whole library.
func copyModule(seed, root, module, dst string) error {
	dirs, err := Packages(seed, root, module)
	if err != nil {
		return err
	}
	copyFile := func(rel string) error {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	}
	for _, rel := range []string{"go.mod", "go.sum"} {
		if err := copyFile(rel); err != nil {
			return err
		}
	}
	for _, dir := range dirs {
		sources, err := goSources(filepath.Join(root, dir))
		if err != nil {
			return err
		}
		for _, name := range sources {
			if err := copyFile(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Packages lists the directories, relative to root, of the packages of module (whose
// source is at root) that the Go code at seed, its tests included (the deploy build
// runs them), imports directly or through each other, sorted. The library's own
// tests are left out.
func Packages(seed, root, module string) ([]string, error) {
	seen := map[string]bool{}
	var visit func(dir string, tests bool) error
	visit = func(dir string, tests bool) error {
		imports, err := packageImports(dir, tests)
		if err != nil {
			return err
		}
		for _, path := range imports {
			if path != module && !strings.HasPrefix(path, module+"/") {
				continue
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
			if rel == "" {
				rel = "."
			}
			if seen[rel] {
				continue
			}
			seen[rel] = true
			if err := visit(filepath.Join(root, rel), false); err != nil {
				return err
			}
		}
		return nil
	}
	if err := filepath.WalkDir(seed, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if rel, _ := filepath.Rel(seed, path); path != seed && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "cdk.out" || rel == LibraryDir) {
			return filepath.SkipDir
		}
		return visit(path, true)
	}); err != nil {
		return nil, err
	}
	dirs := make([]string, 0, len(seen))
	for dir := range seen {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	return dirs, nil
}

// goSources are the names of the Go files of the package in dir, tests left out.
func goSources(dir string) ([]string, error) { return goFiles(dir, false) }

// goFiles are the names of the Go files of the package in dir, with its tests or not.
func goFiles(dir string, tests bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if name := e.Name(); e.Type().IsRegular() && strings.HasSuffix(name, ".go") && (tests || !strings.HasSuffix(name, "_test.go")) {
			out = append(out, name)
		}
	}
	return out, nil
}

// packageImports are the import paths of the Go files of the package in dir, with
// its tests or not.
func packageImports(dir string, tests bool) ([]string, error) {
	sources, err := goFiles(dir, tests)
	if err != nil {
		return nil, err
	}
	var out []string
	fset := token.NewFileSet()
	for _, name := range sources {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, path)
		}
	}
	return out, nil
}
