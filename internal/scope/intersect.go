package scope

// Intersect is what s may have given other: every grant of the result is
// within both sets, so a token never exceeds what the client registered, what
// it requested and what the user approved. Call it as
// requested.Intersect(registered), then .Intersect(approved).
//
// The rule, scope by scope (s is the receiver's scope, o the other's):
//
//   - Non-resource scopes (openid, launch/patient, api:oemr, …) are kept when
//     both sets hold them.
//   - Resource scopes meet when their contexts are equal (a user/ grant never
//     yields a patient/ one) and their resources meet: equal names, or a
//     wildcard on one side, which narrows to the other side's resource. So a
//     requested patient/*.read against registered patient/Observation.rs and
//     patient/Condition.read yields patient/Observation.read and
//     patient/Condition.read.
//   - Permissions are the letters both allow; no common letter, no scope.
//     Operation scopes meet only operation scopes of the same name.
//   - Filters: a granular side narrows the other; when both are granular the
//     narrower is kept, or their conjunction when neither is within the
//     other. A requested patient/Observation.rs?category=…|laboratory is thus
//     within a registered patient/Observation.read and kept as requested.
//   - Form: a meet keeps s's form, so a v1 request is answered in v1 as long
//     as the result can be said in v1 (read, write, *, no filter);
//     otherwise it is written in v2.
//
// Meets covered by another meet are dropped (patient/Observation.rs next to
// patient/*.rs), so the result lists each grant once, in s's order.
func (s Set) Intersect(other Set) Set {
	var out []Scope
	for _, a := range s.list {
		if a.Target == NonResource {
			if other.Has(a.Name) {
				out = append(out, a)
			}
			continue
		}
		for _, b := range other.list {
			if m, ok := meet(a, b); ok {
				out = append(out, m)
			}
		}
	}
	return NewSet(prune(out)...)
}

// meet is the largest scope within both a and b, in a's form.
func meet(a, b Scope) (Scope, bool) {
	if b.Target == NonResource || a.Context != b.Context || a.Operation != b.Operation {
		return Scope{}, false
	}
	m := a
	switch {
	case a.Resource == b.Resource:
	case a.Resource == "*":
		m.Resource, m.Target = b.Resource, b.Target
	case b.Resource == "*":
	default:
		return Scope{}, false
	}
	if a.Operation == "" {
		m.Perms = a.Perms & b.Perms
		if m.Perms == 0 {
			return Scope{}, false
		}
	}
	m.Filter = a.Filter.and(b.Filter)
	if _, ok := m.Perms.v1Word(); m.V1 && (!ok || m.Granular()) {
		m.V1 = false
	}
	return m, true
}

// prune drops the scopes another scope of the list covers; of two scopes
// covering each other (user/Patient.read and user/Patient.rs) the first
// stays.
func prune(list []Scope) []Scope {
	out := make([]Scope, 0, len(list))
	for i, x := range list {
		dropped := false
		for j, y := range list {
			if i != j && y.Covers(x) && (!x.Covers(y) || j < i) {
				dropped = true
				break
			}
		}
		if !dropped {
			out = append(out, x)
		}
	}
	return out
}
