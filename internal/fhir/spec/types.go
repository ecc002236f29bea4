package spec

import (
	"sort"
	"strings"
)

// ParamType is the type of a search parameter.
type ParamType uint8

// The FHIR search parameter types.
const (
	ParamString ParamType = iota + 1
	ParamToken
	ParamReference
	ParamDate
	ParamNumber
	ParamQuantity
	ParamURI
	ParamComposite
	ParamSpecial
)

var paramTypeNames = [...]string{"", "string", "token", "reference", "date", "number", "quantity", "uri", "composite", "special"}

// String is the FHIR code of the type.
func (t ParamType) String() string {
	if int(t) < len(paramTypeNames) {
		return paramTypeNames[t]
	}
	return "unknown"
}

// SearchParam is one search parameter of one resource type.
type SearchParam struct {
	Code        string
	Type        ParamType
	URL         string // canonical definition, for the CapabilityStatement
	Expression  string // the published FHIRPath, restricted to this type
	Description string
	Targets     []string // reference target types
	// Paths are the expression compiled to JSON walks; empty when the
	// parameter cannot be indexed (special, or an expression the generator
	// could not compile). A composite's paths end at the elements whose
	// component values are paired (Observation itself, each
	// Observation.component).
	Paths []Path
	// Components are the parts of a composite, in the order its values
	// give them; empty for other types and for a composite the generator
	// could not compile.
	Components []Component
	// RowsOf names parameters of the same type whose index rows are this
	// one's: its paths are exactly theirs together (Observation combo-code
	// is code and component-code), or, for a reference, the same paths
	// restricted to the target types of its Paths' RefTypes (Observation
	// patient is subject where the target is a Patient). The store writes
	// no rows for it and searches theirs. Empty for most parameters.
	RowsOf []string
	// Joins names, for a composite whose values pair on the resource itself
	// (Observation code-value-quantity), the parameter whose values are
	// each component's, in component order: a search giving each of them
	// one value matches what the composite matches with those values
	// (code=8867-4&value-quantity=gt150 is code-value-quantity=8867-4$gt150),
	// and the search engine asks the composite's rows instead. Empty for
	// most parameters.
	Joins []string
}

// Component is one part of a composite parameter: the parameter it stands
// for (Code, Type) and where its values are, relative to each element the
// composite's Paths select. Values of one element pair only with values of
// the same element.
type Component struct {
	Code  string
	Type  ParamType
	Paths []Path
}

// Path is one walk from the resource root to the elements a parameter
// indexes, with the FHIR datatype found there.
type Path struct {
	Steps []Step
	// Type is the datatype at the end: "CodeableConcept", "dateTime",
	// "Reference", "HumanName", "boolean", …
	Type string
	// RefTypes restricts a reference path to targets of these types
	// (from where(resolve() is Type)); empty means any.
	RefTypes []string
}

// Step is one JSON property. When WhereField is set, only values whose
// WhereField element equals WhereValue are followed (where(system='email'),
// extension('url')).
type Step struct {
	Name       string
	WhereField string
	WhereValue string
}

// ResourceTypes returns every R4 resource type name, sorted. The slice is
// shared: do not modify it.
func ResourceTypes() []string { return resourceTypes }

// IsType reports whether name is a resource type exactly as the
// specification spells it.
func IsType(name string) bool {
	i := sort.SearchStrings(resourceTypes, name)
	return i < len(resourceTypes) && resourceTypes[i] == name
}

// CanonicalType resolves a resource type name case-insensitively.
func CanonicalType(name string) (string, bool) {
	i := sort.SearchStrings(resourceTypes, name)
	if i < len(resourceTypes) && resourceTypes[i] == name {
		return name, true
	}
	t, ok := lowerTypes[strings.ToLower(name)]
	return t, ok
}

var lowerTypes = func() map[string]string {
	m := make(map[string]string, len(resourceTypes))
	for _, t := range resourceTypes {
		m[strings.ToLower(t)] = t
	}
	return m
}()

// SearchParams returns the parameters of a type, sorted by code.
func SearchParams(rtype string) []*SearchParam { return searchParams[rtype] }

// LookupSearchParam finds a parameter of a type by its code.
func LookupSearchParam(rtype, code string) (*SearchParam, bool) {
	ps := searchParams[rtype]
	i := sort.Search(len(ps), func(i int) bool { return ps[i].Code >= code })
	if i < len(ps) && ps[i].Code == code {
		return ps[i], true
	}
	return nil, false
}

// PatientCompartmentParams lists the parameters that put a resource of the
// type in a patient's compartment; nil when the type is not in it.
func PatientCompartmentParams(rtype string) []string { return patientCompartment[rtype] }
