package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// TestReadmeDocumentsEveryConfigurationKey keeps the README's configuration tables in
// step with the configuration: a stage key is documented as `<stage>.<key>`.
func TestReadmeDocumentsEveryConfigurationKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md"))
	require.NoError(t, err)
	readme := string(data)
	for _, key := range config.Keys() {
		documented := key
		for _, stage := range []string{"staging.", "prod."} {
			if strings.HasPrefix(key, stage) {
				documented = "<stage>." + strings.TrimPrefix(key, stage)
			}
		}
		last := documented[strings.LastIndex(documented, ".")+1:]
		assert.True(t, strings.Contains(readme, "`"+documented+"`") || strings.Contains(readme, "."+last+"`"),
			"README.md does not document %s", key)
	}
}
