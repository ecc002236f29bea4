package seed

// rtype enumerates the resource types the generator writes; arrays indexed
// by it replace maps on the hot path.
type rtype uint8

const (
	tOrganization rtype = iota
	tLocation
	tPractitioner
	tPractitionerRole
	tMedication
	tPatient
	tPerson
	tCoverage
	tCondition
	tAllergyIntolerance
	tEncounter
	tAppointment
	tObservation
	tDiagnosticReport
	tDocumentReference
	tMedicationRequest
	tImmunization
	tProcedure
	tDevice
	tCareTeam
	tGoal
	tCarePlan
	tProvenance
	tGroup
	numTypes
)

var typeNames = [numTypes]string{
	tOrganization:       "Organization",
	tLocation:           "Location",
	tPractitioner:       "Practitioner",
	tPractitionerRole:   "PractitionerRole",
	tMedication:         "Medication",
	tPatient:            "Patient",
	tPerson:             "Person",
	tCoverage:           "Coverage",
	tCondition:          "Condition",
	tAllergyIntolerance: "AllergyIntolerance",
	tEncounter:          "Encounter",
	tAppointment:        "Appointment",
	tObservation:        "Observation",
	tDiagnosticReport:   "DiagnosticReport",
	tDocumentReference:  "DocumentReference",
	tMedicationRequest:  "MedicationRequest",
	tImmunization:       "Immunization",
	tProcedure:          "Procedure",
	tDevice:             "Device",
	tCareTeam:           "CareTeam",
	tGoal:               "Goal",
	tCarePlan:           "CarePlan",
	tProvenance:         "Provenance",
	tGroup:              "Group",
}

func (t rtype) String() string { return typeNames[t] }

// idEpochMs is the earliest instant of a seeded id's time field (November
// 2023, in Unix milliseconds); the seed adds up to two years.
const idEpochMs = 1_700_000_000_000

// uid is a resource id: a lowercase UUID in its 36-byte text form, kept as
// an array so references can be written without allocating strings.
type uid [36]byte

func (u uid) String() string { return string(u[:]) }

// mix64 is the SplitMix64 finalizer: a bijection on 64-bit values with good
// avalanche, so neighbouring ordinals give unrelated-looking ids.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// makeID derives the id of the n-th resource of type t in a scope (0 for the
// shared resources and Groups, patient index + 1 for a patient's records)
// from the seed alone. Ids therefore do not depend on what other patients
// hold, and a Group can name its members without remembering them.
//
// The result is a time-ordered version 7 UUID (RFC 9562): its 48-bit
// millisecond field grows with the scope and the ordinal, as if each
// patient's records were created a few seconds after the previous
// patient's, so the ids of a type come in ascending order as a load writes
// them. Every new id then lands at the end of the store's (type, id) index
// and of the compartment table, instead of at a random place in a tree
// larger than the cache: with random ids, keeping that index was half the
// time of loading 10,000 patients. 74 bits of hash make a collision as
// unlikely as between random v4 UUIDs.
func makeID(seed uint64, t rtype, scope uint64, n uint32) uid {
	key := mix64(seed ^ (uint64(t)+1)*0x9e3779b97f4a7c15)
	x := scope<<24 ^ uint64(n)
	r1 := mix64(x ^ key)
	r2 := mix64(x + mix64(key^0x5851f42d4c957f2d))
	ms := idEpochMs + mix64(seed)%(1<<36) + scope<<12 + uint64(n)
	hi := ms<<16 | 0x7000 | r1&0x0fff
	lo := r2&^(3<<62) | 2<<62
	var u uid
	const hex = "0123456789abcdef"
	pos := 0
	for i := 0; i < 16; i++ {
		switch i {
		case 4, 6, 8, 10:
			u[pos] = '-'
			pos++
		}
		var v byte
		if i < 8 {
			v = byte(hi >> (56 - 8*i))
		} else {
			v = byte(lo >> (56 - 8*(i-8)))
		}
		u[pos] = hex[v>>4]
		u[pos+1] = hex[v&0xf]
		pos += 2
	}
	return u
}
