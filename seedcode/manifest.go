package seedcode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/version"
)

// ManifestFile is where a ModelDeploy repository records what it was seeded with,
// relative to its root.
const ManifestFile = "third_party/seed.json"

// Manifest is what a ModelDeploy repository was seeded with: the library's version,
// and the digest of each of the seed's own files (the library below LibraryDir and
// the manifest itself left out), so that Upgrade can tell the files a team changed
// from the ones it did not.
type Manifest struct {
	// Version is the library's version.Version.
	Version string `json:"version"`
	// Files maps each seed file, by its slash-separated path, to `sha256:<hex>`.
	Files map[string]string `json:"files"`
}

// newManifest records the seed files of the repository in dir, at this version.
func newManifest(dir string) (Manifest, error) {
	files, err := seedFiles(dir)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{Version: version.Version, Files: map[string]string{}}
	for _, f := range files {
		if m.Files[f], err = digest(filepath.Join(dir, f)); err != nil {
			return Manifest{}, err
		}
	}
	return m, nil
}

// readManifest reads the manifest of the repository in dir; ok is false when it has
// none (a repository seeded before manifests existed).
func readManifest(dir string) (m Manifest, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, false, fmt.Errorf("%s: %v", ManifestFile, err)
	}
	return m, true, nil
}

func (m Manifest) write(dir string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, ManifestFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// seedFiles are the files of the repository in dir that the seed provides: all but
// version control, the bundled library, the manifest, and what SeedExcludes names.
func seedFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if source.Excluded(d.Name()) || rel == LibraryDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !source.Excluded(d.Name()) && rel != ManifestFile && !strings.HasSuffix(rel, upgradeSuffix) {
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}

// digest is a file's `sha256:<hex>`.
func digest(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
