package store

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// checkSchema is migrate for a store opened read-only (a hot standby, which
// refuses every write): the database must already hold every migration
// this build knows, or the command is refused with what to do.
func (s *Store) checkSchema(ctx context.Context) error {
	entries, err := fs.ReadDir(migrationFiles, "migrations/"+s.d.name)
	if err != nil {
		return err
	}
	applied := map[int64]bool{}
	rows, err := s.r.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: the database has no emp schema (read-only commands do not create it): %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return err
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return fmt.Errorf("store: migration %s: name must start with a number", e.Name())
		}
		if !applied[v] {
			return fmt.Errorf("store: the database's schema is behind this emp (migration %s is not applied); "+
				"read-only commands do not migrate: start emp serve against the primary first", e.Name())
		}
	}
	return nil
}
