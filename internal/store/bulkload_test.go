package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/emedpractice/emp/internal/store"
)

func indexExists(t *testing.T, path, name string) bool {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestBulkLoadDefersAndRestoresIndexes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "emp.db")
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boom := errors.New("load failed half way")
	err = s.BulkLoad(ctx, func() error {
		if indexExists(t, path, "idx_string_lookup") {
			t.Error("lookup index present during a bulk load into an empty database")
		}
		items := []store.ImportItem{
			{Type: "Patient", ID: "p1", Resource: obj(t, `{"resourceType":"Patient","name":[{"family":"Bulk"}]}`)},
			{Type: "Patient", ID: "p2", Resource: obj(t, `{"resourceType":"Patient","name":[{"family":"Other"}]}`)},
		}
		if err := s.Import(ctx, items); err != nil {
			t.Fatal(err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("BulkLoad = %v, want the load's error", err)
	}
	for _, name := range []string{"idx_string_lookup", "idx_token_lookup", "compartment_rid", "resources_type_updated"} {
		if !indexExists(t, path, name) {
			t.Errorf("index %s not rebuilt after the load", name)
		}
	}
	if got := ids(mustSearch(t, s, "Patient", "family=bulk")); got != "p1" {
		t.Errorf("search after bulk load = %q, want p1", got)
	}

	// A second load into a database that holds resources defers nothing.
	err = s.BulkLoad(ctx, func() error {
		if !indexExists(t, path, "idx_string_lookup") {
			t.Error("lookup index dropped for a load into a non-empty database")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A load cut short by a crash leaves indexes dropped and recorded; the next
// Open rebuilds them.
func TestOpenRebuildsIndexesOfAnInterruptedLoad(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "emp.db")
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var ddl string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'idx_token_lookup'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX idx_token_lookup`, `INSERT INTO deferred_indexes (name, sql) VALUES ('idx_token_lookup', '` + ddl + `')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if !indexExists(t, path, "idx_token_lookup") {
		t.Fatal("Open did not rebuild a deferred index")
	}
}
