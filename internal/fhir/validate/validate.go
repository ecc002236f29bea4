// Package validate checks that a FHIR R4 resource is structurally valid JSON
// FHIR: every element is one the specification defines for that place, with
// the right cardinality (array or single value, required elements present)
// and the right type (objects for complex types, JSON strings, numbers and
// booleans for primitives, each primitive in its lexical form). Contained
// resources, Bundle entries and Parameters resources are checked as the
// resource type they name.
//
// The element tables (zz_*.go) are generated from the specification's own
// StructureDefinitions by tools/structgen, so nothing here is hand-picked.
//
// Beyond structure it enforces the rules that keep stored input safe to
// show and to reference: no control characters in any string (ctrlchar),
// narrative XHTML as txt-1 and txt-2 allow it (xhtml.go), and contained
// resources with unique ids, not nested, referenced, without versioning or
// security labels of their own (dom-2 to dom-5, contained.go).
//
// What it does not check: terminology bindings (whether a code is in its
// value set) and the other invariants (the FHIRPath constraints such as "an
// extension has a value or extensions, not both"), nor conformance to
// profiles such as US Core. Those need a terminology service and a FHIRPath engine; this
// package is the cheap check every write can afford.
package validate

//go:generate sh -c "go run ../../../tools/structgen -defs \"$(../../../tools/fhirdefs.sh)\" -out ."

import (
	"sort"

	"github.com/emedpractice/emp/internal/errs"
)

// maxReported is how many errors a client hears about; enough to fix a
// resource in one round, few enough to read.
const maxReported = 50

// maxCollected bounds the work on a hopeless input. Errors are collected up
// to here and sorted before the first maxReported are kept, so that which
// errors a client sees does not depend on map iteration order.
const maxCollected = 1000

// Resource checks one resource decoded with json.Decoder.UseNumber() (numbers
// are json.Number; float64 is accepted too). It returns nil or an errs.Multi
// of *errs.Error (Kind Invalid), each with Field set to the FHIRPath-style
// location ("Patient.name[0].given[1]", "Observation.valueQuantity.value")
// and a plain-English Message. rtype is the type the URL names; a mismatching
// or missing resourceType is an error on "resourceType". Errors are sorted by
// Field; past maxReported, a last error on the resource says there are more.
func Resource(rtype string, res map[string]any) error {
	id, ok := resourceType(rtype)
	if !ok {
		return errs.Multi{errs.Field("resourceType", "unknown resource type %q", rtype)}
	}
	v := &validator{}
	switch rt, present := res["resourceType"]; {
	case !present:
		v.errs = append(v.errs, errs.Field("resourceType", "is required"))
	case rt != rtype:
		s, isString := rt.(string)
		if !isString {
			return errs.Multi{errs.Field("resourceType", "must be a string")}
		}
		return errs.Multi{errs.Field("resourceType", "is %q but must be %q", s, rtype)}
	}
	v.path = append(make([]byte, 0, 128), rtype...)
	v.object(id, res)
	if len(v.errs) == 0 {
		v.checkRules(id, res)
	}
	return v.result(rtype)
}

type validator struct {
	path []byte // the location being checked, FHIRPath-style
	errs errs.Multi
	full bool // maxCollected reached: stop looking
}

func (v *validator) fail(msg string) {
	if v.full {
		return
	}
	v.errs = append(v.errs, &errs.Error{Kind: errs.Invalid, Field: string(v.path), Message: msg})
	v.full = len(v.errs) >= maxCollected
}

func (v *validator) result(rtype string) error {
	if len(v.errs) == 0 {
		return nil
	}
	sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].Field < v.errs[j].Field })
	if len(v.errs) > maxReported {
		v.errs = append(v.errs[:maxReported:maxReported],
			errs.Field(rtype, "more errors not shown; fix these first"))
	}
	return v.errs
}
