package storetest

import (
	"os"
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
