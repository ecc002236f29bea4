package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store"
)

// TestAuditArchiveCommand: emp audit archive moves the months before
// --before to NDJSON files (the lines emp audit --ndjson prints), refuses
// without an archive directory, and emp audit restore loads a file into
// another database, where emp audit shows the rows again.
func TestAuditArchiveCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	old := time.Date(2025, 10, 3, 9, 0, 0, 0, time.UTC)
	s, err := store.Open(context.Background(), db, store.Options{Now: func() time.Time { return old }})
	if err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Time{old, old.AddDate(0, 0, 30), old.AddDate(0, 2, 0)} { // October, November, December
		s.RecordAccess(context.Background(), store.AuditEvent{At: at, RequestInfo: store.RequestInfo{Actor: "u" + string(rune('a'+i)),
			Method: "GET", Path: "/fhir/r4/Patient/p1"}, Action: "read", Status: 200})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	listed := mustEmp(t, db, "audit", "--ndjson", "--since", "2025-10-01")
	if strings.Count(listed, "\n") != 3 || !strings.Contains(listed, `"actor":"ua"`) {
		t.Fatalf("emp audit --ndjson:\n%s", listed)
	}
	if _, err := emp(t, db, "audit", "archive", "--before", "2025-12"); err == nil || !strings.Contains(err.Error(), "--audit-archive-dir") {
		t.Fatalf("archive without a directory: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "archive")
	out := mustEmp(t, db, "audit", "archive", "--before", "2025-12", "--audit-archive-dir", dir)
	if !strings.Contains(out, "2025-10: 1 rows") || !strings.Contains(out, "2025-11: 1 rows") {
		t.Fatalf("emp audit archive:\n%s", out)
	}
	if left := mustEmp(t, db, "audit", "--ndjson", "--since", "2025-10-01"); strings.Count(left, "\n") != 1 || !strings.Contains(left, `"actor":"uc"`) {
		t.Fatalf("left after archiving:\n%s", left)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "audit-2025-10-*.ndjson"))
	if len(files) != 1 {
		t.Fatalf("archive files: %v", files)
	}
	body, _ := os.ReadFile(files[0])
	if !strings.Contains(listed, string(body)) {
		t.Fatalf("archived line %q is not the line emp audit --ndjson printed", body)
	}
	inquiry := filepath.Join(t.TempDir(), "inquiry.db")
	mustEmp(t, inquiry, "audit", "restore", files[0])
	if back := mustEmp(t, inquiry, "audit", "--ndjson", "--since", "2025-10-01"); back != string(body) {
		t.Fatalf("restored:\n%s\nwant:\n%s", back, body)
	}
}
