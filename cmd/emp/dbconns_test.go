package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestDBMaxConnsValidated: --db-max-conns and EMP_DB_MAX_CONNS are read by
// serve, and a pool too small to seed and serve at once is refused before
// anything opens.
func TestDBMaxConnsValidated(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flag", []string{"serve", "--db", db, "--db-max-conns", "1"}, nil},
		{"environment", []string{"serve", "--db", db}, map[string]string{"EMP_DB_MAX_CONNS": "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "--db-max-conns must be at least 2") {
				t.Fatalf("serve with one connection: %v", err)
			}
		})
	}
}

// TestDBReplicaValidated: --db-replica (or EMP_DB_REPLICA) needs a
// PostgreSQL primary, and its lag bound a positive duration; both are
// refused before anything opens.
func TestDBReplicaValidated(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"flag on SQLite", []string{"serve", "--db", db, "--db-replica", "postgres://standby/emp"}, nil, "--db-replica needs a postgres:// --db"},
		{"environment on SQLite", []string{"serve", "--db", db}, map[string]string{"EMP_DB_REPLICA": "postgres://a/emp,postgres://b/emp"}, "--db-replica needs a postgres:// --db"},
		{"lag bound", []string{"serve", "--db", db, "--db-replica-max-lag", "-1s"}, nil, "--db-replica-max-lag must be a positive duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestReadCacheMBValidated: --read-cache-mb (or EMP_READ_CACHE_MB) takes
// a size from 0 (off) up; anything else is refused before anything opens.
func TestReadCacheMBValidated(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"negative flag", []string{"serve", "--db", db, "--read-cache-mb", "-1"}, nil},
		{"negative environment", []string{"serve", "--db", db}, map[string]string{"EMP_READ_CACHE_MB": "-5"}},
		{"too large", []string{"serve", "--db", db, "--read-cache-mb", "99999999"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "--read-cache-mb must be between 0 (off) and") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
