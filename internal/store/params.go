package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/emedpractice/emp/internal/fhir/spec"
)

// paramIDs maps (resource type, search parameter code) to the small integer
// id used in the index tables. Every parameter the server knows is registered
// at start, so the map is read-only afterwards and needs no lock.
type paramIDs struct {
	byKey map[paramKey]int64
}

type paramKey struct{ typ, code string }

func newParamIDs() *paramIDs { return &paramIDs{byKey: map[paramKey]int64{}} }

func (p *paramIDs) load(ctx context.Context, s *Store) error {
	if err := p.read(ctx, s.w); err != nil {
		return err
	}
	var missing []paramKey
	for _, t := range spec.ResourceTypes() {
		for _, sp := range spec.SearchParams(t) {
			if _, ok := p.byKey[paramKey{t, sp.Code}]; !ok {
				missing = append(missing, paramKey{t, sp.Code})
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ins := s.d.rebind(`INSERT INTO search_params (type, code) VALUES (?, ?) ON CONFLICT (type, code) DO NOTHING`)
	for _, k := range missing {
		if _, err := tx.ExecContext(ctx, ins, k.typ, k.code); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: register search parameter %s.%s: %w", k.typ, k.code, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return p.read(ctx, s.w)
}

func (p *paramIDs) read(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT pid, type, code FROM search_params`)
	if err != nil {
		return fmt.Errorf("store: read search parameters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k paramKey
		if err := rows.Scan(&id, &k.typ, &k.code); err != nil {
			return err
		}
		p.byKey[k] = id
	}
	return rows.Err()
}

// id returns the id of a parameter; ok is false for a parameter the server
// does not know (its entries are not indexed).
func (p *paramIDs) id(typ, code string) (int64, bool) {
	id, ok := p.byKey[paramKey{typ, code}]
	return id, ok
}
