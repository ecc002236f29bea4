package auth

import (
	"strings"

	"github.com/emedpractice/emp/internal/auth/pages"
	"github.com/emedpractice/emp/internal/scope"
)

// alwaysLabel says in words what a non-resource scope gives the app; ""
// for scopes not worth a line.
func alwaysLabel(name string) string {
	switch name {
	case scope.OpenID:
		return "that it is you who signed in"
	case scope.FHIRUser:
		return "who you are in the practice's records"
	case scope.Profile:
		return "your name and username"
	case scope.Launch:
		return "the record open in the EHR"
	case scope.LaunchPatient:
		return "which patient's record is in use"
	case scope.LaunchEncounter:
		return "which encounter is in use"
	case scope.OnlineAccess:
		return ""
	case scope.APIFHIR, scope.APIOEMR, scope.APIPortal:
		return ""
	}
	return ""
}

var permWords = []struct {
	in   scope.Interaction
	word string
}{
	{scope.Create, "create"}, {scope.Read, "read"}, {scope.Update, "update"}, {scope.Delete, "delete"}, {scope.Search, "search"},
}

// scopeLabel says in words what a resource scope allows, with the scope
// itself for those who want to know exactly.
func scopeLabel(sc scope.Scope) string {
	var verbs []string
	if sc.Operation != "" {
		verbs = append(verbs, "run "+sc.Operation+" on")
	} else {
		for _, p := range permWords {
			if sc.Perms.Has(p.in) {
				verbs = append(verbs, p.word)
			}
		}
	}
	what := sc.Resource + " records"
	if sc.Resource == "*" {
		what = "all kinds of records"
	}
	whose := ""
	switch sc.Context {
	case scope.Patient:
		whose = " of the patient in context"
	case scope.User:
		whose = " you can see"
	}
	label := strings.Join(verbs, ", ") + " " + what + whose
	if sc.Granular() {
		label += " (only " + sc.Filter.Query + ")"
	}
	label = strings.ToUpper(label[:1]) + label[1:]
	return label + " — " + sc.String()
}

// categoryRows are the category sub-scopes offered in place of a whole
// Condition or Observation scope that reads or searches.
func categoryRows(sc scope.Scope) []pages.CategoryRow {
	if sc.Target != scope.FHIR || sc.Granular() || sc.Operation != "" {
		return nil
	}
	rs := sc.Perms & (scope.Of(scope.Read) | scope.Of(scope.Search))
	if rs == 0 {
		return nil
	}
	var out []pages.CategoryRow
	for _, c := range categoriesOf(sc.Resource) {
		v := sc.Context.String() + "/" + sc.Resource + "." + rs.String() + "?category=" + c.System + "|" + c.Code
		out = append(out, pages.CategoryRow{Value: v, Label: c.Label})
	}
	return out
}
