package store

import (
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// compositeClause adds the condition of a composite parameter: one row of
// idx_composite must hold both halves of a value, so that they come from
// the same element (one Observation.component, not two). The second half
// is written as its own type's condition: idx_composite names its columns
// as that type's index table does (dates excepted, in d_lo and d_hi).
func (b *sqlBuilder) compositeClause(c *search.Clause) error {
	p := c.Param
	rows, ok := b.s.params.rows(b.typ, p.Code)
	if !ok || len(p.Components) != 2 {
		return errs.Field(p.Code, "parameter is not indexed")
	}
	pidCond, pidArgs := rows.cond("")
	if c.Modifier == "missing" {
		if c.Values[0].Missing {
			b.notExists("idx_composite", pidCond, pidArgs...)
		} else {
			b.semi(rankWeak, "idx_composite", pidCond, pidArgs...)
		}
		return nil
	}
	first := &spec.SearchParam{Code: p.Components[0].Code, Type: p.Components[0].Type}
	second := &spec.SearchParam{Code: p.Components[1].Code, Type: p.Components[1].Type}
	var ors []string
	var args []any
	for i := range c.Values {
		v := &c.Values[i]
		if len(v.Parts) != 2 {
			return errs.Field(p.Code, "a value needs 2 parts separated by $")
		}
		head, headArgs := compositeHeadCond(p.Components[0].Type, &v.Parts[0])
		var cond string
		var condArgs []any
		if second.Type == spec.ParamDate {
			cond, condArgs = rangeCond(v.Parts[1].Prefix, "d_lo", "d_hi", v.Parts[1].Low, v.Parts[1].High)
		} else {
			var err error
			if cond, condArgs, err = valueCond(second, "", &v.Parts[1]); err != nil {
				return err
			}
		}
		ors = append(ors, "("+head+" AND "+cond+")")
		args = append(append(args, headArgs...), condArgs...)
	}
	inner := pidCond + " AND (" + strings.Join(ors, " OR ") + ")"
	// A code is weak (many resources share it) unless it is an identifier.
	b.semiCountable(selectivity(first, ""), "idx_composite", inner, append(pidArgs, args...)...)
	return nil
}

// compositeHeadCond matches the first half of a composite value: a token,
// or a reference, whose target type and id the row holds as its system and
// code. A reference given as a URL matches by the type and id it ends in.
func compositeHeadCond(t spec.ParamType, v *search.Value) (string, []any) {
	if t == spec.ParamReference {
		if v.RefType != "" {
			return "t_code = ? AND t_system = ?", []any{v.RefID, v.RefType}
		}
		return "t_code = ?", []any{v.RefID}
	}
	switch {
	case v.HasSystem && v.Code == "":
		return "t_system = ?", []any{v.System}
	case v.HasSystem:
		return "t_code = ? AND t_system = ?", []any{v.Code, v.System}
	}
	return "t_code = ?", []any{v.Code}
}

// compositeRow is the idx_composite row of an entry (tComposite's columns).
func compositeRow(rid, pid int64, x *search.CompositeEntry) []any {
	return []any{rid, pid, x.TSystem, x.TCode, x.System, x.Code, x.Unit, x.Value, x.Low, x.High, x.DateLow, x.DateHigh, x.Norm, x.Key}
}
