package store

import (
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// chainClause adds a chained parameter (subject:Patient.name=peter): the
// resource must have a reference through the clause's parameter whose
// target is one of the far resources that match a link.
//
// The far resources are a sub-select built by the same builder, so every
// parameter, modifier, nested chain and the link's own confinement work
// there as in a direct search. The clause may drive the search when the far
// side is selective as a direct search would count it (patient.identifier=…,
// subject:Patient.name=…): then its few targets lead through the reference
// index to the few resources that point at them. A broad far side
// (subject.code=…) is a probe, checked per candidate, like any broad
// condition.
func (b *sqlBuilder) chainClause(c *search.Clause) error {
	rows, ok := b.s.params.rows(b.typ, c.Param.Code)
	if !ok {
		return errs.Field(c.Param.Code, "parameter is not indexed")
	}
	pidCond, pidArgs := rows.cond("")
	// As a probe, the condition must find the candidate's own reference
	// rows by primary key and test their target against the far set. Left
	// to itself SQLite prefers the lookup index, which also holds rid, and
	// walks the whole far set for every candidate; a unary + on target_id
	// takes that index out of its choices (SQLite only: PostgreSQL has no
	// unary + on text, and plans this well).
	probeTarget := "target_id"
	if !b.s.d.postgres {
		probeTarget = "+target_id"
	}
	ors := make([]string, 0, len(c.Chain))
	probeOrs := make([]string, 0, len(c.Chain))
	args := pidArgs
	rank := rankIdentity
	for _, l := range c.Chain {
		sub, subArgs, subRank, err := b.linkSelect(l, "r.id")
		if err != nil {
			return err
		}
		ors = append(ors, "(target_type = ? AND target_id IN ("+sub+"))")
		probeOrs = append(probeOrs, "(target_type = ? AND "+probeTarget+" IN ("+sub+"))")
		args = append(args, l.Type)
		args = append(args, subArgs...)
		rank = max(rank, subRank)
	}
	if rank > rankDriver {
		rank = rankWeak
	}
	b.semiCountable(rank, "idx_reference", pidCond+" AND ("+strings.Join(ors, " OR ")+")", args...)
	b.parts[len(b.parts)-1].probeInner = pidCond + " AND (" + strings.Join(probeOrs, " OR ") + ")"
	return nil
}

// hasClause adds a reverse chain (_has:Observation:patient:code=x): a
// resource of the link's type that matches the link must point at the
// resource through the clause's parameter. The reference rows are matched
// by target (target_type, target_id) with the resource's type and id.
func (b *sqlBuilder) hasClause(c *search.Clause) error {
	l := c.Has
	rows, ok := b.s.params.rows(l.Type, c.Param.Code)
	if !ok {
		return errs.Field(c.Param.Code, "parameter is not indexed")
	}
	pidCond, pidArgs := rows.cond("")
	sub, subArgs, subRank, err := b.linkSelect(l, "r.rid")
	if err != nil {
		return err
	}
	rank := rankWeak
	if subRank <= rankDriver {
		rank = subRank
	}
	args := append(append(pidArgs, b.typ), subArgs...)
	b.semiOn(rank, "idx_reference", "target_id", "id", pidCond+" AND target_type = ? AND rid IN ("+sub+")", args...)
	return nil
}

// linkSelect renders the far side of a chain as a sub-select of col
// (r.id or r.rid) over the current resources of the link's type, with how
// selective its conditions are. Its alias r hides the outer one inside.
func (b *sqlBuilder) linkSelect(l *search.Link, col string) (string, []any, int, error) {
	sub := &sqlBuilder{s: b.s, typ: l.Type, set: true}
	if err := sub.filter([]search.Clause{l.Clause}, l.AnyOf, l.Compartment); err != nil {
		return "", nil, 0, err
	}
	where, args := sub.sql()
	return "SELECT " + col + " FROM resources r WHERE " + where, args, sub.bestRank(), nil
}
