package bulk

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// jobSpec is an export request resolved at kick-off: which types, which
// patients, which filters. It is stored with the job as JSON, so a worker on
// any node runs exactly what was asked, with the caller's rights as they
// were at kick-off.
type jobSpec struct {
	Level    string     `json:"level"`
	Group    string     `json:"group,omitempty"`
	Types    []typePlan `json:"types"`
	Since    time.Time  `json:"since,omitzero"`
	Elements []string   `json:"elements,omitempty"`
	// Patients are the compartments confined types are limited to.
	Patients []string `json:"patients,omitempty"`
	// Warnings are the parameters ignored under Prefer: handling=lenient,
	// reported in the manifest's error file.
	Warnings []string `json:"warnings,omitempty"`
}

// typePlan is how one type is exported.
type typePlan struct {
	Type string `json:"type"`
	// Confined types are limited to the compartments of jobSpec.Patients.
	Confined bool `json:"confined,omitempty"`
	// Via also confines by what the resource refers to through this
	// parameter (Provenance: the records it attests).
	Via string `json:"via,omitempty"`
	// TypeFilters are the _typeFilter queries of the type (any one must
	// match); ScopeFilters the caller's granular scope filters (likewise).
	TypeFilters  []string `json:"typeFilters,omitempty"`
	ScopeFilters []string `json:"scopeFilters,omitempty"`
	// Deleted asks for the deletions since _since as well.
	Deleted bool `json:"deleted,omitempty"`
}

func decodeSpec(b []byte) (*jobSpec, error) {
	var s jobSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("bulk: job parameters: %w", err)
	}
	return &s, nil
}

// supportingTypes are exported with a Patient or Group export although they
// are in no patient's compartment: the practice's organizations, places,
// people and drugs that the patients' records refer to.
var supportingTypes = []string{"Location", "Medication", "Organization", "Practitioner", "PractitionerRole"}

// inCompartment reports whether a type holds patients' records: the patient
// compartment's types and the Linked ones outside it (Device by its
// patient…), whose compartment rows confine a Patient or Group export to
// the patients concerned (spec.ConfinementOf).
func inCompartment(rtype string) bool {
	return spec.ConfinementOf(rtype) != spec.Shared
}

// exportable lists the types an export covers when _type is not given.
func exportable(level string) []string {
	var out []string
	for _, t := range spec.ResourceTypes() {
		switch {
		case t == "Parameters" || t == "OperationOutcome" || t == "Bundle" || t == "Binary":
			// Not records: nothing to export.
		case level == levelSystem || inCompartment(t) || slices.Contains(supportingTypes, t):
			out = append(out, t)
		}
	}
	return out
}

// parseTypeFilter splits "Type?query" and parses the query with the same
// search engine as the FHIR face.
// ignored lists the parameters a lenient parse left out.
func parseTypeFilter(raw string, lenient bool) (rtype, query string, ignored []string, err error) {
	t, q, ok := strings.Cut(raw, "?")
	rtype, known := spec.CanonicalType(t)
	if !ok || !known {
		return "", "", nil, errs.Field("_typeFilter", "%q is not a resource type followed by ?search", raw)
	}
	_, ignored, err = compileFilter(rtype, q, lenient)
	if err != nil {
		return "", "", nil, err
	}
	return rtype, q, ignored, nil
}

// compileFilter parses one filter query into search clauses. _include,
// _sort and other result parameters are not filters and are refused.
func compileFilter(rtype, query string, lenient bool) (clauses []search.Clause, ignored []string, err error) {
	values, err := url.ParseQuery(query)
	if err != nil {
		return nil, nil, errs.Field("_typeFilter", "%s?%s is not a valid query string", rtype, query)
	}
	for name := range values {
		switch name {
		case "_include", "_revinclude", "_include:iterate", "_revinclude:iterate", "_sort", "_count", "_summary", "_elements", "_total":
			return nil, nil, errs.Field("_typeFilter", "%s may not be used in a _typeFilter", name)
		}
	}
	q, err := search.Parse(rtype, values, search.Options{Lenient: lenient})
	if err != nil {
		return nil, nil, errs.Field("_typeFilter", "%s?%s: %s", rtype, query, err.Error())
	}
	// A chain or _has would read resources of types the export does not
	// cover, past the export's own gate.
	for i := range q.Clauses {
		if q.Clauses[i].Chained() {
			return nil, nil, errs.Field("_typeFilter", "%s?%s: chained parameters and _has are not supported in a _typeFilter", rtype, query)
		}
	}
	return q.Clauses, q.Ignored, nil
}

// compileFilters turns a list of queries, any one of which must match, into
// clause groups for the store; nil when there are none.
func compileFilters(rtype string, queries []string) ([][]search.Clause, error) {
	if len(queries) == 0 {
		return nil, nil
	}
	groups := make([][]search.Clause, 0, len(queries))
	for _, q := range queries {
		c, _, err := compileFilter(rtype, q, true)
		if err != nil {
			return nil, err
		}
		groups = append(groups, c)
	}
	return groups, nil
}

// elementsFor is the _elements that apply to a type: plain names, and
// Type.name for this type. nil means the whole resource.
func elementsFor(elements []string, rtype string) []string {
	var out []string
	for _, e := range elements {
		if t, name, ok := strings.Cut(e, "."); ok {
			if t == rtype {
				out = append(out, name)
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

// validElement accepts name or Type.name, where name is a FHIR element
// name.
func validElement(e string) bool {
	t, name, ok := strings.Cut(e, ".")
	if ok {
		if _, known := spec.CanonicalType(t); !known {
			return false
		}
	} else {
		name = t
	}
	if name == "" {
		return false
	}
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
