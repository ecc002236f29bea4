package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestNewEndpointsRefuseWithoutAToken: every endpoint this server gained
// with Bundles, PATCH, $everything, history, compartment search, $validate
// and terminology answers 401 with the RFC 6750 challenge when no token
// (or a bad one) is given; the gate refuses before any handler reads the
// request.
func TestNewEndpointsRefuseWithoutAToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		bundle := `{"resourceType":"Bundle","type":"transaction","entry":[]}`
		patient := `{"resourceType":"Patient"}`
		for _, c := range []struct{ method, path, body, ctype string }{
			{"POST", "/fhir/r4", bundle, ""},
			{"POST", "/fhir/r4/", bundle, ""},
			{"PATCH", "/fhir/r4/Patient/p1", `[]`, "application/json-patch+json"},
			{"PATCH", "/fhir/r4/Patient?name=x", `[]`, "application/json-patch+json"},
			{"PUT", "/fhir/r4/Patient?name=x", patient, ""},
			{"DELETE", "/fhir/r4/Patient?name=x", "", ""},
			{"GET", "/fhir/r4/Patient/p1/$everything", "", ""},
			{"GET", "/fhir/r4/Patient/$everything", "", ""},
			{"GET", "/fhir/r4/_history", "", ""},
			{"GET", "/fhir/r4/Patient/p1/Observation", "", ""},
			{"POST", "/fhir/r4/Patient/$validate", patient, ""},
			{"POST", "/fhir/r4/Patient/p1/$validate", patient, ""},
			{"GET", "/fhir/r4/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender", "", ""},
			{"GET", "/fhir/r4/ValueSet/$validate-code?url=http://hl7.org/fhir/ValueSet/administrative-gender&code=male", "", ""},
			{"GET", "/fhir/r4/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=male", "", ""},
		} {
			for _, tok := range []string{"", "not-a-token"} {
				var headers []string
				if c.ctype != "" {
					headers = []string{"Content-Type", c.ctype}
				}
				r := ts.Do(c.method, c.path, tok, c.body, headers...)
				challenge := r.Header.Get("WWW-Authenticate")
				if r.Status != 401 || !strings.HasPrefix(challenge, "Bearer") || (tok != "" && !strings.Contains(challenge, `error="invalid_token"`)) {
					t.Errorf("%s %s with token %q: %d, WWW-Authenticate %q", c.method, c.path, tok, r.Status, challenge)
				}
			}
		}
	})
}
