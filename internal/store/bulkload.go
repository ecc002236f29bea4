package store

import (
	"context"
	"database/sql"
	"fmt"
)

// bulkTables are the tables whose non-unique indexes a bulk load defers.
const bulkTables = `'resources','resource_versions','idx_string','idx_token','idx_reference','idx_date','idx_number','idx_quantity','idx_uri','idx_composite','compartment'`

// BulkLoad runs load, a series of Imports into an empty database, with the
// secondary indexes of the resource and index tables set aside, and builds
// them once at the end. Building an index from sorted rows is several times
// cheaper than growing it by random inserts, which dominate a large load.
// Unique indexes stay, so duplicate ids are still refused. On PostgreSQL or
// a database that holds resources already, load simply runs.
//
// The deferred index statements are recorded in the same transaction that
// drops them: if the process dies during the load, the next Open rebuilds
// them (see restoreDeferredIndexes).
func (s *Store) BulkLoad(ctx context.Context, load func() error) error {
	if s.d.postgres {
		return load()
	}
	deferred := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		var any int
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM resources)`).Scan(&any)
		if err != nil || any != 0 {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
			WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'
			AND tbl_name IN (`+bulkTables+`)`)
		if err != nil {
			return err
		}
		var names, stmts []string
		for rows.Next() {
			var name, q string
			if err := rows.Scan(&name, &q); err != nil {
				rows.Close()
				return err
			}
			names, stmts = append(names, name), append(stmts, q)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, name := range names {
			if _, err := tx.ExecContext(ctx, `INSERT INTO deferred_indexes (name, sql) VALUES (?, ?)`, name, stmts[i]); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
				return err
			}
		}
		deferred = len(names) > 0
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: bulk load: %w", err)
	}
	if deferred {
		// The load is into an empty database: its commits need not wait
		// for the disk one by one. In WAL mode NORMAL keeps the database
		// consistent through a crash or power loss (the last commits may be
		// lost, never half-written); the first commit after the load, at
		// FULL again, makes all of it durable.
		if _, err := s.w.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
			return fmt.Errorf("store: bulk load: %w", err)
		}
	}
	if !deferred {
		return load()
	}
	// The load's pages move from the log to the database file on another
	// connection (see walCopier). Not the index builds': each is one
	// transaction, and their sorts keep both cores busy anyway.
	copier, err := s.startWALCopier(ctx)
	if err != nil {
		return fmt.Errorf("store: bulk load: %w", err)
	}
	s.copier.Store(copier)
	loadErr := load()
	s.copier.Store(nil)
	if err := copier.stop(ctx); err != nil && loadErr == nil {
		loadErr = fmt.Errorf("store: bulk load: %w", err)
	}
	if _, err := s.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=FULL"); err != nil && loadErr == nil {
		loadErr = fmt.Errorf("store: bulk load: %w", err)
	}
	if err := s.restoreDeferredIndexes(ctx); err != nil && loadErr == nil {
		loadErr = err
	}
	return loadErr
}

// restoreDeferredIndexes rebuilds the indexes a bulk load set aside. Open
// calls it, so it is a no-op on a whole database.
func (s *Store) restoreDeferredIndexes(ctx context.Context) error {
	if s.d.postgres {
		return nil
	}
	rows, err := s.w.QueryContext(ctx, `SELECT name, sql FROM deferred_indexes ORDER BY name`)
	if err != nil {
		return err
	}
	type idx struct{ name, sql string }
	var list []idx
	for rows.Next() {
		var x idx
		if err := rows.Scan(&x.name, &x.sql); err != nil {
			rows.Close()
			return err
		}
		list = append(list, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(list) > 0 {
		// Building an index sorts its rows. With the writer's large page
		// cache and temporary data in memory, SQLite sorts in a few large
		// memory runs, which took twice as long here as many small runs
		// spilled to temporary files and merged (on a second thread).
		if _, err := s.w.ExecContext(ctx, "PRAGMA temp_store=FILE"); err != nil {
			return err
		}
		if _, err := s.w.ExecContext(ctx, "PRAGMA cache_size=-2000"); err != nil {
			return err
		}
		defer func() {
			ctx := context.WithoutCancel(ctx)
			s.w.ExecContext(ctx, "PRAGMA cache_size="+writerCacheSize)
			s.w.ExecContext(ctx, "PRAGMA temp_store=MEMORY")
		}()
	}
	for _, x := range list {
		// One index per transaction: each is whole or absent, and the row
		// goes with it.
		err := s.write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, x.sql); err != nil {
				return fmt.Errorf("rebuild index %s: %w", x.name, err)
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM deferred_indexes WHERE name = ?`, x.name)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
