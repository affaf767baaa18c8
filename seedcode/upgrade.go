package seedcode

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sagemaker-mlops-cdk/mlops/version"
)

// upgradeSuffix marks the new version of a seed file that a team changed: Upgrade
// keeps the team's file and writes the new one beside it.
const upgradeSuffix = ".upgrade"

// UpgradeReport says what Upgrade did.
type UpgradeReport struct {
	// From and To are the library versions before and after ("" when the repository
	// recorded none).
	From, To string
	// Updated, Added and Removed are the seed files Upgrade changed: files the team
	// had not changed since they were seeded.
	Updated, Added, Removed []string
	// Kept are seed files the team changed (or deleted) that the new version changes
	// too: the team's file is kept, the new one is written beside it with the suffix
	// ".upgrade".
	Kept []string
	// Left are seed files the team changed that the new version no longer has: they
	// stay as they are.
	Left []string
	// Packages are the library's packages now bundled below LibraryDir.
	Packages []string
}

// String is the report as the upgrade command prints it.
func (r UpgradeReport) String() string {
	from := r.From
	if from == "" {
		from = "(unrecorded)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sagemaker-mlops-cdk %s -> %s: %d library packages in %s\n", from, r.To, len(r.Packages), LibraryDir)
	for _, list := range []struct {
		what  string
		files []string
	}{{"updated", r.Updated}, {"added", r.Added}, {"removed", r.Removed}} {
		for _, f := range list.files {
			fmt.Fprintf(&b, "  %-8s %s\n", list.what, f)
		}
	}
	for _, f := range r.Kept {
		fmt.Fprintf(&b, "  kept     %s (yours; merge the new version from %s%s, then delete it)\n", f, f, upgradeSuffix)
	}
	for _, f := range r.Left {
		fmt.Fprintf(&b, "  left     %s (yours; the new version has no such file)\n", f)
	}
	b.WriteString("Review the change (git diff), run go vet ./... && go test ./..., commit and push: the deploy pipeline then builds with the new library.\n")
	return b.String()
}

// Upgrade moves the ModelDeploy repository checked out at repo to this library's
// version: it replaces the bundled library below LibraryDir with the packages the
// repository's code imports, updates the seed files the team has not changed since
// they were seeded (by the Manifest's digests), leaves the files it changed, writing
// the new version beside them, and records the new Manifest. Files that are no seed
// file, old or new, are not touched. A repository seeded before manifests existed
// has every differing seed file treated as changed by the team. It
// fails, changing nothing, when repo is not a ModelDeploy repository of this library.
func Upgrade(repo string) (UpgradeReport, error) {
	r := UpgradeReport{To: version.Version}
	if err := checkRepository(repo); err != nil {
		return r, err
	}
	old, recorded, err := readManifest(repo)
	if err != nil {
		return r, err
	}
	r.From = old.Version
	fresh, err := os.MkdirTemp("", "modeldeploy-seed-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(fresh)
	seed := withLibrary{archive: modelDeployArchive, root: moduleRoot()}
	if err := seed.writeSeed(fresh); err != nil {
		return r, err
	}
	next, err := newManifest(fresh)
	if err != nil {
		return r, err
	}
	if !recorded {
		old.Files = map[string]string{}
	}
	if err := r.mergeSeedFiles(repo, fresh, old, next); err != nil {
		return r, err
	}
	if err := os.RemoveAll(filepath.Join(repo, LibraryDir)); err != nil {
		return r, err
	}
	if err := writeLibrary(repo, seed.root); err != nil {
		return r, err
	}
	if r.Packages, err = Packages(repo, seed.root, mustModulePath(seed.root)); err != nil {
		return r, err
	}
	return r, next.write(repo)
}

// checkRepository fails unless repo's go.mod points this library at LibraryDir, as a
// seeded ModelDeploy repository's does.
func checkRepository(repo string) error {
	module := mustModulePath(moduleRoot())
	data, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		return fmt.Errorf("%s is not a ModelDeploy repository of %s: %v", repo, module, err)
	}
	if !bytes.Contains(data, []byte("replace "+module+" => ./"+LibraryDir)) {
		return fmt.Errorf("%s is not a ModelDeploy repository of %s: its go.mod has no line `replace %s => ./%s`", repo, module, module, LibraryDir)
	}
	return nil
}

// mergeSeedFiles brings each file of the old or the new seed to its new version in
// repo, unless the team changed it.
func (r *UpgradeReport) mergeSeedFiles(repo, fresh string, old, next Manifest) error {
	paths := map[string]bool{}
	for f := range old.Files {
		paths[f] = true
	}
	for f := range next.Files {
		paths[f] = true
	}
	sorted := make([]string, 0, len(paths))
	for f := range paths {
		sorted = append(sorted, f)
	}
	sort.Strings(sorted)
	for _, f := range sorted {
		target := filepath.Join(repo, filepath.FromSlash(f))
		current, err := digest(target)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		was, seeded := old.Files[f]
		want, kept := next.Files[f]
		unchanged := exists && seeded && current == was || !exists && !seeded
		switch {
		case exists && kept && current == want, !exists && !kept:
		case unchanged && kept:
			if exists {
				r.Updated = append(r.Updated, f)
			} else {
				r.Added = append(r.Added, f)
			}
			if err := copyFile(filepath.Join(fresh, filepath.FromSlash(f)), target); err != nil {
				return err
			}
		case unchanged:
			r.Removed = append(r.Removed, f)
			if err := os.Remove(target); err != nil {
				return err
			}
		case !kept:
			r.Left = append(r.Left, f)
		default:
			r.Kept = append(r.Kept, f)
			if err := copyFile(filepath.Join(fresh, filepath.FromSlash(f)), target+upgradeSuffix); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyFile copies src to dst, with src's permission bits, creating dst's directory.
func copyFile(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, info.Mode().Perm())
}

// mustModulePath is the module path of the module at root, which this package's own
// module always has.
func mustModulePath(root string) string {
	module, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		panic("seedcode: " + err.Error())
	}
	return module
}
