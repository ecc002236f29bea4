package server_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/server"
)

// TestExportStoreChoice: on PostgreSQL export files never land silently on
// one node's disk: a directory is taken only when declared shared
// (--export-store=dir), and a bad choice is refused, naming the flag,
// before anything is opened (the PostgreSQL URLs here reach no server).
func TestExportStoreChoice(t *testing.T) {
	const pg = "postgres://emp@unreachable.invalid/emp"
	for _, tc := range []struct {
		name  string
		cfg   server.Config
		wants string
	}{
		{"a directory on PostgreSQL without the declaration", server.Config{DB: pg, ExportDir: "/srv/exports"}, "--export-store=dir"},
		{"the directory store on PostgreSQL without a directory", server.Config{DB: pg, ExportStore: "dir"}, "needs --export-dir"},
		{"a directory with the database store", server.Config{DB: pg, ExportStore: "db", ExportDir: "/srv/exports"}, "goes with --export-store=dir"},
		{"an unknown store", server.Config{DB: filepath.Join(t.TempDir(), "emp.db"), ExportStore: "s3"}, `--export-store takes "db" or "dir"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, err := server.Open(context.Background(), tc.cfg)
			if err == nil {
				app.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.wants) {
				t.Fatalf("error %q does not say %q", err, tc.wants)
			}
		})
	}
}
