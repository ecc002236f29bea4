// Package storetest opens fresh stores for tests: a SQLite file in the
// test's temporary folder, and, when EMP_TEST_POSTGRES holds a PostgreSQL
// URL, a new schema in that database that is dropped after the test. With
// the variable set, a PostgreSQL failure fails the test; it is never skipped.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL test URL.
const EnvPostgres = "EMP_TEST_POSTGRES"

// Dialects lists the databases tests should run on: always "sqlite", and
// "postgres" when EMP_TEST_POSTGRES is set.
func Dialects() []string {
	if os.Getenv(EnvPostgres) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs fn once per dialect as a subtest named after it.
func Each(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// DSN returns a fresh, empty database for one test: a SQLite path under
// t.TempDir(), or a PostgreSQL URL whose search_path is a new schema dropped
// when the test ends.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return filepath.Join(t.TempDir(), "emp.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Fatalf("storetest: %s is not set", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: open postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("storetest: drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a fresh store of the dialect, closed when the test ends.
func Open(t testing.TB, dialect string, opt store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), DSN(t, dialect), opt)
	if err != nil {
		t.Fatalf("storetest: open %s store: %v", dialect, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
