package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// exportedLines runs emp export of db into a new folder and returns every
// resource written, without meta (the load sets versionId and
// lastUpdated anew), sorted.
func exportedLines(t *testing.T, db string) []string {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"export", "--db", db, "--out", out}, noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("export: %v %s", err, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.ndjson"))
	var lines []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "meta")
			b, _ := json.Marshal(m)
			lines = append(lines, string(b))
		}
		fh.Close()
	}
	slices.Sort(lines)
	return lines
}

// TestExportThenImport: emp export of a store followed by emp import into
// an empty one gives the same resources with the same ids; importing the
// same folder again fails every file of patient records (nothing is
// overwritten) and names them.
func TestExportThenImport(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"seed", "--db", src, "--patients", "3"}, noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("seed: %v %s", err, stderr.String())
	}
	out := filepath.Join(dir, "export")
	if err := run(context.Background(), []string{"export", "--db", src, "--out", out}, noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("export: %v", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"import", "--db", dst, out}, noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("import: %v %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "imported ") {
		t.Errorf("no summary: %q", stdout.String())
	}
	want, got := exportedLines(t, src), exportedLines(t, dst)
	if len(want) == 0 || !slices.Equal(want, got) {
		t.Fatalf("the imported store differs: %d resources exported, %d after import", len(want), len(got))
	}
	stderr.Reset()
	err := run(context.Background(), []string{"import", "--db", dst, out}, noEnv, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "files failed") || !strings.Contains(stderr.String(), "Patient-0.ndjson: a resource in the import exists already") {
		t.Errorf("a second import: %v, stderr %q", err, stderr.String())
	}
	if err := run(context.Background(), []string{"import", "--db", dst}, noEnv, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("import without paths: %v", err)
	}
}
