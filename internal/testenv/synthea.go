package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SyntheaDir is where the Synthea sample Bundles are: beside the
// repository (seen from a package two levels down, internal/x), or where
// EMP_TEST_SYNTHEA says. The test is skipped when there are none.
func SyntheaDir(t testing.TB) string {
	dir := os.Getenv("EMP_TEST_SYNTHEA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "fhir", "synthea")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no Synthea Bundles in %s (set EMP_TEST_SYNTHEA)", dir)
	}
	return dir
}
