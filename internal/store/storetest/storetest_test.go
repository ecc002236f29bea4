package storetest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
)

// TestPostgresConfigured makes CI fail when it would silently run the
// store tests on SQLite only.
func TestPostgresConfigured(t *testing.T) {
	if os.Getenv("CI") != "" && os.Getenv(EnvPostgres) == "" {
		t.Fatalf("CI is set but %s is not: the PostgreSQL tests would be skipped", EnvPostgres)
	}
	if os.Getenv(EnvPostgres) == "" {
		t.Skipf("%s is not set; PostgreSQL tests are skipped", EnvPostgres)
	}
	DSN(t, "postgres")
}

// TestPgBouncer: the private PgBouncer answers concurrent clients with no
// more server connections open than its pool allows. With the driver's
// default mode the failure docs/operations.md warns of happens: two client
// connections sharing one server connection both prepare the same
// statement there.
func TestPgBouncer(t *testing.T) {
	pb := NewPgBouncer(t, 2)
	db := openDB(t, pb.URL)
	defer db.Close()
	db.SetMaxOpenConns(8)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int
			errc <- db.QueryRowContext(context.Background(), "SELECT count(*) FROM pg_class WHERE relpages >= $1", 0).Scan(&n)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("a query through PgBouncer: %v\n%s", err, pb.Log())
		}
	}
	if n := pb.ServerConnections(t); n < 1 || n > pb.PoolSize {
		t.Fatalf("%d server connections, pool of %d", n, pb.PoolSize)
	}

	one := NewPgBouncer(t, 1)
	prep := openDB(t, one.PreparingURL)
	defer prep.Close()
	ctx := context.Background()
	var errs []error
	for range 2 {
		c, err := prep.Conn(ctx) // a new client connection, kept open
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var n int
		errs = append(errs, c.QueryRowContext(ctx, "SELECT count(*) FROM pg_class WHERE relpages >= $1", 0).Scan(&n))
	}
	if errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "prepared statement") {
		t.Fatalf("prepared statements through PgBouncer: first client %v, second %v; want the second refused", errs[0], errs[1])
	}
}
