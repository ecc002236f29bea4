package store

import (
	"context"
	"fmt"
	"strings"
)

// Reference is a resource another points at, as the search index holds it.
type Reference struct {
	Type, ID string
}

// maxReferenceSources bounds the resources one References call looks at.
const maxReferenceSources = 1000

// References lists the resources that the resources ids of type rtype point
// at through the reference search parameter param, from the search index
// (what _include needs; nothing is decoded). An absolute reference counts
// by the type and id its URL ends in, as a search by reference does; the
// caller reads each target, so one that is not here drops out. Each target
// is listed once, ordered by type and id.
func (s *Store) References(ctx context.Context, rtype string, ids []string, param string) ([]Reference, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > maxReferenceSources {
		return nil, fmt.Errorf("store: references of %d resources, at most %d at once", len(ids), maxReferenceSources)
	}
	pr, ok := s.params.rows(rtype, param)
	if !ok {
		return nil, nil
	}
	pidCond, pidArgs := pr.cond("x.")
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, 0, len(ids)+len(pidArgs)+1)
	args = append(args, rtype)
	args = append(args, pidArgs...)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.replica.QueryContext(ctx, s.d.rebind(`SELECT DISTINCT x.target_type, x.target_id FROM idx_reference x
		JOIN resources r ON r.rid = x.rid
		WHERE r.type = ? AND `+pidCond+` AND x.target_id <> '' AND r.id IN (`+marks+`)
		ORDER BY x.target_type, x.target_id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reference
	for rows.Next() {
		var ref Reference
		if err := rows.Scan(&ref.Type, &ref.ID); err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}
