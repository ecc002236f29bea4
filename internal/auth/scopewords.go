package auth

import (
	"strings"
	"unicode"

	"github.com/emedpractice/emp/internal/scope"
)

// ScopeWords is a resource scope told in words a patient understands: the
// kind of records and whether the app may change them. The consent page
// and the portal's apps page show these, with the scope itself one click
// away for those who want it.
type ScopeWords struct {
	Scope  string // the technical scope
	What   string // "Medicines", "Test results: only vital signs"
	Change bool   // may add, change or delete (else only see)
	// How is the access in words: "see", "see and change", "add", …
	How string
}

// DescribeScope tells a resource scope in words; ok is false for a
// non-resource scope (openid, launch, offline_access…).
func DescribeScope(sc scope.Scope) (ScopeWords, bool) {
	if sc.Target == scope.NonResource || sc.Resource == "" {
		return ScopeWords{}, false
	}
	w := ScopeWords{Scope: sc.String(), What: recordKind(sc.Resource)}
	if sc.Operation != "" {
		w.What += " (to run " + sc.Operation + ")"
		w.How = "export"
		return w, true
	}
	see := sc.Perms.Has(scope.Read) || sc.Perms.Has(scope.Search)
	add, change, del := sc.Perms.Has(scope.Create), sc.Perms.Has(scope.Update), sc.Perms.Has(scope.Delete)
	w.Change = add || change || del
	var verbs []string
	if see {
		verbs = append(verbs, "see")
	}
	if add {
		verbs = append(verbs, "add")
	}
	if change {
		verbs = append(verbs, "change")
	}
	if del {
		verbs = append(verbs, "delete")
	}
	w.How = joinWords(verbs)
	if sc.Granular() {
		var only []string
		for _, p := range sc.Filter.Params {
			only = append(only, filterWords(sc.Resource, p))
		}
		w.What += ": only " + joinWords(only)
	}
	return w, true
}

// DescribeScopes tells each resource scope of a space-separated list in
// words, in the list's order; the rest (identity, launch, refresh) are left
// out.
func DescribeScopes(list string) []ScopeWords {
	set, _ := scope.ParseListLenient(list)
	var out []ScopeWords
	for sc := range set.All() {
		if w, ok := DescribeScope(sc); ok {
			out = append(out, w)
		}
	}
	return out
}

// filterWords names a granular filter's parameter: a known category by its
// label, anything else as the code it names.
func filterWords(resource string, p scope.Param) string {
	system, code, _ := p.Token()
	for _, c := range categoriesOf(resource) {
		if c.Code == code && (system == "" || system == c.System) {
			return strings.ToLower(c.Label)
		}
	}
	if code == "" {
		code = p.Value
	}
	return strings.ReplaceAll(code, "-", " ")
}

// recordKind names a FHIR resource type as the kind of record a patient
// knows it as; a type without a better name is split into words.
func recordKind(resource string) string {
	switch resource {
	case "*":
		return "Every kind of record"
	case "Patient":
		return "Personal details (name, birth date, contact details)"
	case "Condition":
		return "Health problems and diagnoses"
	case "AllergyIntolerance":
		return "Allergies"
	case "MedicationRequest":
		return "Prescriptions"
	case "MedicationStatement", "MedicationAdministration", "MedicationDispense", "Medication":
		return "Medicines"
	case "Observation":
		return "Test results, vital signs and other measurements"
	case "DiagnosticReport":
		return "Test and imaging reports"
	case "Immunization":
		return "Vaccinations"
	case "Procedure":
		return "Procedures and operations"
	case "Encounter":
		return "Visits"
	case "Appointment":
		return "Appointments"
	case "DocumentReference", "Binary", "Composition", "Document":
		return "Documents and clinical notes"
	case "CarePlan", "Goal":
		return "Care plans and goals"
	case "CareTeam":
		return "Care team"
	case "Practitioner", "PractitionerRole", "Organization", "Location":
		return "Doctors, staff and places of care"
	case "Device":
		return "Medical devices"
	case "Coverage", "Claim", "ExplanationOfBenefit":
		return "Insurance and claims"
	case "Provenance":
		return "Who recorded what, and when"
	case "RelatedPerson":
		return "Family members and carers"
	case "ServiceRequest":
		return "Referrals and orders"
	case "QuestionnaireResponse":
		return "Completed questionnaires"
	}
	return splitWords(resource)
}

// splitWords turns "FamilyMemberHistory" or "soap_note" into "Family member
// history" / "Soap note".
func splitWords(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_' || r == '-':
			b.WriteRune(' ')
			continue
		case i > 0 && unicode.IsUpper(r):
			b.WriteRune(' ')
		}
		if i == 0 {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func joinWords(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}
