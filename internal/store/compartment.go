package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// The compartment table lists, for each resource, the patients whose
// records hold it. A token confined to a patient reads and searches a type
// through it (spec.ConfinementOf): the R4 patient compartment's types by
// their compartment parameters, and the Linked types outside it by the
// references that tie them to patients (Device patient, Binary
// securityContext, a Bundle's entries). A Linked resource that reaches no
// patient has no row and no patient sees it; a Shared type needs none.

// linkRef is a local resource that a Linked type's patient link names
// other than a Patient: its patients are the linking resource's too.
type linkRef struct{ typ, id string }

// compartmentOf lists the patients whose compartment holds a resource, and
// the other resources through which a Linked one reaches more.
func compartmentOf(rtype, id string, res map[string]any, e *search.Entries, local search.LocalBases) (patients []string, via []linkRef) {
	add := func(p string) {
		if p != "" && !slices.Contains(patients, p) {
			patients = append(patients, p)
		}
	}
	if rtype == "Patient" {
		add(id)
	}
	switch spec.ConfinementOf(rtype) {
	case spec.InCompartment:
		for _, ref := range e.References {
			if ref.TargetType == "Patient" && ref.TargetID != "" && linkedBy(rtype, spec.PatientCompartmentParams(rtype), ref.Param) {
				add(ref.TargetID)
			}
		}
	case spec.Linked:
		link := func(t, id string) {
			switch {
			case id == "":
			case t == "Patient":
				add(id)
			case !slices.Contains(via, linkRef{t, id}):
				via = append(via, linkRef{t, id})
			}
		}
		for _, ref := range e.References {
			if linkedBy(rtype, spec.PatientLinkParams(rtype), ref.Param) {
				link(ref.TargetType, ref.TargetID)
			}
		}
		for _, path := range spec.PatientLinkElements(rtype) {
			for _, v := range fhirjson.Follow(res, strings.Split(path, ".")...) {
				if m, ok := v.(map[string]any); ok {
					ref, _ := m["reference"].(string)
					link(search.LocalTarget(ref, local))
				}
			}
		}
		for _, path := range spec.ResourceContainers(rtype) {
			for _, v := range fhirjson.Follow(res, strings.Split(path, ".")...) {
				m, ok := v.(map[string]any)
				if !ok {
					continue
				}
				t, _ := m["resourceType"].(string)
				if _, known := spec.CanonicalType(t); !known {
					continue
				}
				inner, _ := m["id"].(string)
				entries := search.ExtractLocal(t, m, local)
				ps, vs := compartmentOf(t, inner, m, &entries, local)
				for _, p := range ps {
					add(p)
				}
				for _, r := range vs {
					link(r.typ, r.id)
				}
			}
		}
	}
	return patients, via
}

// linkedBy reports whether index rows of parameter param count for one of
// the codes: its own, or rows it shares (spec.SearchParam.RowsOf) for a
// code whose paths may point at a Patient.
func linkedBy(rtype string, codes []string, param string) bool {
	for _, code := range codes {
		if param == code || patientRowsOf(rtype, code, param) {
			return true
		}
	}
	return false
}

// patientRowsOf reports whether the parameter code shares the rows of
// parameter param (spec.SearchParam.RowsOf) and accepts Patient targets: its
// Patient references are then indexed under param alone.
func patientRowsOf(rtype, code, param string) bool {
	sp, ok := spec.LookupSearchParam(rtype, code)
	if !ok || len(sp.RowsOf) == 0 || !slices.Contains(sp.RowsOf, param) {
		return false
	}
	return len(sp.Paths[0].RefTypes) == 0 || slices.Contains(sp.Paths[0].RefTypes, "Patient")
}

// patientRefs lists every local Patient that a reference anywhere in the
// resource names (contained resources and extensions included).
func patientRefs(res map[string]any, local search.LocalBases) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, item := range x {
				walk(item)
			}
		case map[string]any:
			if ref, ok := x["reference"].(string); ok {
				if t, id := search.LocalTarget(ref, local); t == "Patient" && !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
			for _, item := range x {
				walk(item)
			}
		}
	}
	walk(res)
	return out
}

// within checks a write made under a patient's restriction: the resource
// must be of a type that holds patients' records, name no other patient
// (any reference to a Patient, or through a Linked type's links to another
// resource, must reach the patient in context only), and belong to the
// patient's records. A patient's app may not write shared records
// (Practitioner, Medication…), records of another patient, or records that
// belong to no patient.
func (s *Store) within(ctx context.Context, p *prepared, c search.Compartment) error {
	return s.withinQ(ctx, s.r, p, c)
}

// withinQ is within with the links read through q: a transaction's own
// connection, when the resources they name may be written by it.
func (s *Store) withinQ(ctx context.Context, q queryer, p *prepared, c search.Compartment) error {
	if !c.Restricted {
		return nil
	}
	if c.Patient == "" || spec.ConfinementOf(p.typ) == spec.Shared {
		return errs.E(errs.Forbidden, "a %s is shared by all patients and cannot be written with patient scopes", p.typ)
	}
	if p.typ == "Patient" && p.id != c.Patient {
		return errs.E(errs.Forbidden, "a patient's token may write only its own Patient")
	}
	for _, r := range patientRefs(p.res, s.local) {
		if r != c.Patient {
			return errs.E(errs.Forbidden, "the %s refers to Patient/%s, not the patient in context", p.typ, r)
		}
	}
	through, err := s.patientsOf(ctx, q, p.via)
	if err != nil {
		return err
	}
	for _, pt := range through {
		if pt != c.Patient {
			return errs.E(errs.Forbidden, "the %s refers to a record of another patient", p.typ)
		}
	}
	if slices.Contains(p.patients, c.Patient) || slices.Contains(through, c.Patient) {
		return nil
	}
	return errs.E(errs.Forbidden, "the %s does not belong to the patient in context", p.typ)
}

// queryer is a pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// patientsOf lists the patients whose compartments hold any of the
// resources, as the compartment table says now.
func (s *Store) patientsOf(ctx context.Context, q queryer, refs []linkRef) ([]string, error) {
	var out []string
	for len(refs) > 0 {
		n := min(len(refs), 200)
		conds := make([]string, n)
		args := make([]any, 0, 2*n)
		for i, r := range refs[:n] {
			conds[i] = "(r.type = ? AND r.id = ?)"
			args = append(args, r.typ, r.id)
		}
		rows, err := q.QueryContext(ctx, s.d.rebind(`SELECT DISTINCT c.patient FROM compartment c
			JOIN resources r ON r.rid = c.rid WHERE r.deleted = 0 AND (`+strings.Join(conds, " OR ")+`)`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var pt string
			if err := rows.Scan(&pt); err != nil {
				rows.Close()
				return nil, err
			}
			if !slices.Contains(out, pt) {
				out = append(out, pt)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		refs = refs[n:]
	}
	return out, nil
}
