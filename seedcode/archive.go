package seedcode

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/txtar"
)

// ArchiveFile is the ModelDeploy seed as this module ships it, next to this file: a
// txtar archive of the files of the ModelDeploy directory under version control.
// The directory itself is a Go module of its own (it has a go.mod), and a Go module's
// zip leaves out every directory holding a go.mod, so the module's users would get
// no ModelDeploy seed from it. `make seed-archive` (go generate ./seedcode) writes
// the archive; a test fails while it differs from the directory.
const ArchiveFile = "modeldeploy.txtar"

//go:generate go run ./internal/seedarchive

//go:embed modeldeploy.txtar
var modelDeployArchive []byte

// archiveComment heads the archive.
const archiveComment = "The ModelDeploy seed as the module ships it. Generated from seedcode/modeldeploy by\n`make seed-archive`; do not edit.\n"

// NewArchive is the archive of the files named (slash-separated, relative to dir).
func NewArchive(dir string, names []string) ([]byte, error) {
	a := &txtar.Archive{Comment: []byte(archiveComment)}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		if len(data) > 0 && !strings.HasSuffix(string(data), "\n") {
			return nil, fmt.Errorf("%s does not end with a newline, which a txtar archive cannot keep", name)
		}
		a.Files = append(a.Files, txtar.File{Name: name, Data: data})
	}
	return txtar.Format(a), nil
}

// writeArchive writes the files of the archive data into dir.
func writeArchive(data []byte, dir string) error {
	for _, f := range txtar.Parse(data).Files {
		target := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
