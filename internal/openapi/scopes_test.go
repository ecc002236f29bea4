package openapi

import (
	"sort"
	"strings"
	"testing"
)

// TestAuthorizeDialogOffersAShortList: the staff scheme, whose scopes are
// the checkboxes of Swagger UI's Authorize dialog (and what its "select
// all" asks for), offers the sign-in scopes, api:oemr and two wildcards,
// not one scope per record type and access; the portal's scheme keeps
// the few patient/ scopes its routes name. Every offered scope is one the
// authorization server knows (the scope language parses it), and every
// standard API route is granted by the wildcards (see
// TestEveryRouteIsDocumentedAndEveryOperationExists).
func TestAuthorizeDialogOffersAShortList(t *testing.T) {
	c := servedDocument(t)
	schemes := c.doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	offered := func(name string) []string {
		code := schemes[name].(map[string]any)["flows"].(map[string]any)["authorizationCode"].(map[string]any)
		var out []string
		for sc, desc := range code["scopes"].(map[string]any) {
			if d, _ := desc.(string); d == "" {
				t.Errorf("%s: scope %s has no description", name, sc)
			}
			out = append(out, sc)
		}
		sort.Strings(out)
		return out
	}
	staff := strings.Join(offered(SecuritySchemeName), " ")
	if want := "api:oemr fhirUser offline_access openid user/*.cud user/*.rs"; staff != want {
		t.Errorf("the staff scheme offers %q, want %q", staff, want)
	}
	patient := offered(PatientSchemeName)
	for _, want := range []string{"api:port", "openid", "patient/patient.read"} {
		if !strings.Contains(" "+strings.Join(patient, " ")+" ", " "+want+" ") {
			t.Errorf("the patient scheme offers %v, without %s", patient, want)
		}
	}
	for _, sc := range append(strings.Fields(staff), patient...) {
		if !grants(t, []string{sc}, sc) {
			t.Errorf("offered scope %s does not grant itself", sc)
		}
	}
}
