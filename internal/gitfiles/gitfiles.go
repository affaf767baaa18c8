// Package gitfiles lists the files of a directory that are under version control, the
// way the seeds are shipped: what a developer has built or left in the working tree
// besides is no part of them.
package gitfiles

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// devOnly are the development files of the ModelDeploy seed that are never shipped:
// its workspace points it at this repository's working tree.
var devOnly = map[string]bool{"go.work": true, "go.work.sum": true}

// Seed lists the files of the seed directory dir that are under version control (in
// Git's index) and in the working tree, slash-separated and relative to dir, sorted,
// without the development-only workspace files. It runs git, so dir must be in a Git
// checkout.
func Seed(dir string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files in %s: %v", dir, err)
	}
	var names []string
	for _, name := range strings.Split(string(out), "\x00") {
		if name == "" || devOnly[path.Base(name)] {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}
