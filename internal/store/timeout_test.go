package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// timeoutDSNs is the databases of TestSearchTimeoutStopsTheStatement: SQLite
// always, PostgreSQL (a schema dropped at the end) when EMP_TEST_POSTGRES is
// set. storetest cannot be used here: it imports this package.
func timeoutDSNs(t *testing.T) map[string]string {
	dsns := map[string]string{"sqlite": filepath.Join(t.TempDir(), "emp.db")}
	base := os.Getenv("EMP_TEST_POSTGRES")
	if base == "" {
		return dsns
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP SCHEMA " + schema + " CASCADE"); db.Close() })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsns["postgres"] = u.String()
	return dsns
}

// TestSearchTimeoutStopsTheStatement: a search whose statement cannot end by
// itself (pg_sleep for an hour; an endless recursive count on SQLite) is
// stopped at the search timeout and answered Unavailable, and the database
// really stops: PostgreSQL's backend is no longer active in
// pg_stat_activity (before the cancel-request handler it slept on after
// the client had given up), SQLite's reader is interrupted (else Search
// would not return at all). The connections are usable afterwards.
func TestSearchTimeoutStopsTheStatement(t *testing.T) {
	for dialect, dsn := range timeoutDSNs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			// The statement cannot finish, so the deadline passes during
			// it whatever its length; the test does not depend on it.
			s, err := Open(ctx, dsn, Options{SearchTimeout: 100 * time.Millisecond, MaxReaders: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var b [8]byte
			rand.Read(b[:])
			marker := "emp_timeout_" + hex.EncodeToString(b[:])
			endless := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c /* " + marker + " */"
			if dialect == "postgres" {
				endless = "SELECT pg_sleep(3600)::text /* " + marker + " */"
			}
			s.searchHook = func(ctx context.Context) error {
				var v any
				if err := s.r.QueryRowContext(ctx, endless).Scan(&v); err != nil {
					return err
				}
				return errors.New("the endless statement ended")
			}
			q := &search.Query{Type: "Patient", Count: 10}
			for range 3 { // each connection of the pool, and again
				_, err = s.Search(ctx, q)
				if errs.KindOf(err) != errs.Unavailable || errs.KindOf(err).Status() != 503 {
					t.Fatalf("Search past its timeout = %v (kind %v), want Unavailable", err, errs.KindOf(err))
				}
			}
			if dialect == "postgres" {
				active := func() int {
					var n int
					err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
						WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%`+marker+`%'`).Scan(&n)
					if err != nil {
						t.Fatal(err)
					}
					return n
				}
				// The cancel is asynchronous; the backend gets it within
				// milliseconds. Without it, pg_sleep runs for an hour.
				n := active()
				for i := 0; n > 0 && i < 300; i++ {
					time.Sleep(100 * time.Millisecond)
					n = active()
				}
				if n > 0 {
					t.Fatalf("%d backends still run the stopped search's statement", n)
				}
			}
			// The request's own end is not the search's timeout.
			s.searchHook = nil
			gone, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := s.Search(gone, q); !errors.Is(err, context.Canceled) || errs.KindOf(err) == errs.Unavailable {
				t.Errorf("Search of a request that ended = %v", err)
			}
			for range 3 {
				if _, err := s.Search(ctx, q); err != nil {
					t.Fatalf("Search after the timeouts: %v", err)
				}
			}
		})
	}
}
