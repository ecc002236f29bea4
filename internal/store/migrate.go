package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// migrate applies the embedded migrations that the database has not seen,
// each in its own transaction, in file-name order. On PostgreSQL an advisory
// lock keeps nodes starting together from racing.
func (s *Store) migrate(ctx context.Context) error {
	dir := "migrations/" + s.d.name
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })

	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// On PostgreSQL every step holds a transaction-scoped advisory lock, so
	// nodes starting together take turns; unlike a session lock it is
	// released with its transaction even behind PgBouncer in transaction
	// mode, where a session's statements may use different server
	// connections.
	lock := func(tx *sql.Tx) error {
		if !s.d.postgres {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7418001)`); err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		return nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := lock(tx); err != nil {
		tx.Rollback()
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		tx.Rollback()
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	applied := map[int64]bool{}
	rows, err := conn.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()

	for _, e := range entries {
		name := e.Name()
		num, _, _ := strings.Cut(name, "_")
		version, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return fmt.Errorf("store: migration %s: name must start with a number", name)
		}
		if applied[version] {
			continue
		}
		body, err := migrationFiles.ReadFile(dir + "/" + name)
		if err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := lock(tx); err != nil {
			tx.Rollback()
			return err
		}
		// Under the lock (on SQLite the transaction holds the write lock
		// from its start, BEGIN IMMEDIATE): another node that opened the
		// database at the same moment may have applied the migration since
		// the list above was read, so look again.
		var done int
		err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&done)
		if err != nil || done > 0 {
			tx.Rollback()
			if err != nil {
				return err
			}
			continue
		}
		for _, stmt := range splitStatements(string(body)) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: migration %s: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`), version, time.Now().Unix()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	return nil
}

// splitStatements splits a migration file on semicolons that end a line,
// except inside a function body quoted with $$ (PL/pgSQL's statements end
// with semicolons too). Migrations hold no semicolons inside other literals.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	inBody := false
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.Count(line, "$$")%2 == 1 {
			inBody = !inBody
		}
		if !inBody && strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}
