package spec

// Confinement says how a token confined to one patient sees a resource type.
type Confinement uint8

const (
	// Shared types hold no patient's data (Practitioner, Organization,
	// Medication, ValueSet…): what patients' records refer to. A patient's
	// token may read them when its scopes allow, and never writes them.
	Shared Confinement = iota
	// InCompartment types belong to the R4 patient compartment: a
	// resource is a patient's when a compartment parameter names the
	// patient.
	InCompartment
	// Linked types are outside the compartment but can point at a
	// patient (Device patient, Binary securityContext, a Bundle's
	// entries): a resource is a patient's when those links reach the
	// patient, and nobody's (invisible to every patient) when they reach
	// none.
	Linked
)

// ConfinementOf tells how the type is confined; the tables behind it are
// generated from the definitions (tools/fhirgen, confine.go).
func ConfinementOf(rtype string) Confinement {
	switch {
	case rtype == "Patient" || len(patientCompartment[rtype]) > 0:
		return InCompartment
	case len(patientLinkParams[rtype]) > 0 || len(patientLinkElements[rtype]) > 0 || len(resourceContainers[rtype]) > 0:
		return Linked
	}
	return Shared
}

// PatientLinkParams lists a Linked type's reference search parameters that
// may point at a Patient (or at any resource, whose patients then count).
func PatientLinkParams(rtype string) []string { return patientLinkParams[rtype] }

// PatientLinkElements lists, for a Linked type with no such parameter, the
// Reference elements that may point at a Patient or at any resource, as
// dotted JSON paths from the resource root (Binary "securityContext").
func PatientLinkElements(rtype string) []string { return patientLinkElements[rtype] }

// ResourceContainers lists the elements of a type that hold whole resources
// (Bundle "entry.resource"), as dotted JSON paths; the patients of those
// resources are the container's.
func ResourceContainers(rtype string) []string { return resourceContainers[rtype] }
