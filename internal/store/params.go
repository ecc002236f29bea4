package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/spec"
)

// paramIDs maps (resource type, search parameter code) to the small integer
// id used in the index tables. Every parameter the server knows is registered
// at start, so the map is read-only afterwards and needs no lock.
type paramIDs struct {
	byKey map[paramKey]int64
	// shared holds the parameters answered from other parameters' rows
	// (spec.SearchParam.RowsOf), by the same key.
	shared map[paramKey]paramRows
}

// paramRows says where a parameter's index rows are: under the ids in pids,
// and, for a reference parameter sharing another's rows, only those whose
// target type is one of targets.
type paramRows struct {
	pids    []int64
	targets []string
}

// cond is the SQL condition selecting the rows, with its arguments; prefix
// qualifies the columns ("x." or "").
func (r paramRows) cond(prefix string) (string, []any) {
	if len(r.pids) == 1 && len(r.targets) == 0 {
		return prefix + "pid = ?", []any{r.pids[0]}
	}
	var b strings.Builder
	args := make([]any, 0, len(r.pids)+len(r.targets))
	if len(r.pids) == 1 {
		b.WriteString(prefix + "pid = ?")
	} else {
		b.WriteString(prefix + "pid IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(r.pids)), ", ") + ")")
	}
	for _, id := range r.pids {
		args = append(args, id)
	}
	if len(r.targets) > 0 {
		b.WriteString(" AND " + prefix + "target_type IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(r.targets)), ", ") + ")")
		for _, t := range r.targets {
			args = append(args, t)
		}
	}
	return b.String(), args
}

type paramKey struct{ typ, code string }

func newParamIDs() *paramIDs {
	return &paramIDs{byKey: map[paramKey]int64{}, shared: map[paramKey]paramRows{}}
}

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
	if len(missing) > 0 {
		if err := p.register(ctx, s, missing); err != nil {
			return err
		}
	}
	return p.share()
}

// register adds parameters the database does not know yet.
func (p *paramIDs) register(ctx context.Context, s *Store, missing []paramKey) error {
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

// share records where the rows of each parameter with RowsOf are.
func (p *paramIDs) share() error {
	for _, t := range spec.ResourceTypes() {
		for _, sp := range spec.SearchParams(t) {
			if len(sp.RowsOf) == 0 {
				continue
			}
			r := paramRows{}
			for _, code := range sp.RowsOf {
				id, ok := p.byKey[paramKey{t, code}]
				if !ok {
					return fmt.Errorf("store: %s.%s shares the rows of unknown parameter %s", t, sp.Code, code)
				}
				r.pids = append(r.pids, id)
			}
			if sp.Type == spec.ParamReference {
				r.targets = sp.Paths[0].RefTypes
			}
			p.shared[paramKey{t, sp.Code}] = r
		}
	}
	return nil
}

// sharedIDs lists the own ids of the parameters that share other
// parameters' rows: ids no index row should carry.
func (p *paramIDs) sharedIDs() []int64 {
	out := make([]int64, 0, len(p.shared))
	for k := range p.shared {
		out = append(out, p.byKey[k])
	}
	slices.Sort(out)
	return out
}

// rows returns where a parameter's index rows are; ok is false for a
// parameter the server does not know.
func (p *paramIDs) rows(typ, code string) (paramRows, bool) {
	k := paramKey{typ, code}
	if r, ok := p.shared[k]; ok {
		return r, true
	}
	id, ok := p.byKey[k]
	if !ok {
		return paramRows{}, false
	}
	return paramRows{pids: []int64{id}}, true
}

// id returns the id of a parameter; ok is false for a parameter the server
// does not know (its entries are not indexed).
func (p *paramIDs) id(typ, code string) (int64, bool) {
	id, ok := p.byKey[paramKey{typ, code}]
	return id, ok
}
