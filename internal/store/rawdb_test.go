package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// rawDB opens the database behind dsn directly, for tests that set up or
// check rows the store's API does not show.
type rawDB struct {
	t  testing.TB
	db *sql.DB
}

func openRaw(t testing.TB, dsn string) *rawDB {
	t.Helper()
	driver := "sqlite"
	if store.IsPostgres(dsn) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &rawDB{t: t, db: db}
}

// exec runs a statement; an error fails the test.
func (r *rawDB) exec(q string) {
	r.t.Helper()
	if _, err := r.db.ExecContext(context.Background(), q); err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
}

// count runs a query returning one integer.
func (r *rawDB) count(q string) int {
	r.t.Helper()
	var n int
	if err := r.db.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// openAt opens the store at dsn, closed when the test ends (closing it
// sooner is fine).
func openAt(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// written returns a fresh database holding what fixture writes, with the
// store that wrote it closed.
func written(t *testing.T, dialect string, fixture func(*testing.T, *store.Store)) string {
	t.Helper()
	dsn := storetest.DSN(t, dialect)
	s := openAt(t, dsn)
	fixture(t, s)
	s.Close()
	return dsn
}

// searchCase is a search and the ids it must find, in order.
type searchCase struct{ rtype, query, want string }

// runSearches runs each case as a subtest.
func runSearches(t *testing.T, s *store.Store, cases []searchCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.rtype+"?"+tt.query, func(t *testing.T) {
			if got := ids(mustSearch(t, s, tt.rtype, tt.query)); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// expectSearches checks each case without subtests: after a change to the
// database (when) the searches must answer as before.
func expectSearches(t *testing.T, s *store.Store, when string, cases []searchCase) {
	t.Helper()
	for _, tt := range cases {
		if got := ids(mustSearch(t, s, tt.rtype, tt.query)); got != tt.want {
			t.Errorf("%s: %s?%s = %q, want %q", when, tt.rtype, tt.query, got, tt.want)
		}
	}
}

// allPages follows a search's cursors for at most maxPages pages and
// returns the ids of every page in order.
func allPages(t *testing.T, s *store.Store, rtype, query string, maxPages int) []string {
	t.Helper()
	var got []string
	q := query
	for page := 0; page < maxPages; page++ {
		res := mustSearch(t, s, rtype, q)
		for _, r := range res.Resources {
			got = append(got, r.ID)
		}
		if res.Next == "" {
			break
		}
		q = query + "&_cursor=" + res.Next
	}
	return got
}
