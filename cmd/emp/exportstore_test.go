package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeExportStoreFlags: where export files go is read from the flag
// or its environment variable, and a directory on PostgreSQL that is not
// declared shared is refused before anything is opened (the URL reaches
// no server).
func TestServeExportStoreFlags(t *testing.T) {
	const pg = "postgres://emp@unreachable.invalid/emp"
	spool := filepath.Join(t.TempDir(), "audit-spool")
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"a directory on PostgreSQL, undeclared", []string{"--db", pg, "--export-dir", t.TempDir()}, nil, "--export-store=dir"},
		{"the store from the environment", []string{"--db", pg}, map[string]string{"EMP_EXPORT_STORE": "s3"}, `--export-store takes "db" or "dir", got "s3"`},
		{"the directory store without a directory", []string{"--db", pg, "--export-store", "dir"}, nil, "needs --export-dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			args := append([]string{"serve", "--audit-spool", spool}, tc.args...)
			err := run(context.Background(), args, getenv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("serve %q: %v, want an error containing %q", tc.args, err, tc.wantErr)
			}
		})
	}
}
