package scope

import "github.com/emedpractice/emp/internal/fhir/spec"

// IsFHIRType reports whether s is an R4 resource type, exactly as spelled
// by the specification: the one generated list (spec.ResourceTypes) that
// the FHIR face serves and the CapabilityStatement advertises, so a scope
// can tell a FHIR type from a misspelling.
func IsFHIRType(s string) bool { return spec.IsType(s) }
