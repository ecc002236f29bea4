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
