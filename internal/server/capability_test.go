package server_test

import (
	"strings"
	"testing"
)

func TestCapabilityStatement(t *testing.T) {
	ts := newTestServer(t, "sqlite")
	for _, path := range []string{"/fhir/r4/metadata", "/metadata"} {
		r := ts.do("GET", path, "", "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/fhir+json; charset=utf-8" && r.header.Get("Content-Type") != "application/fhir+json" {
			t.Fatalf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
		cs := r.json(t)
		if cs["resourceType"] != "CapabilityStatement" || cs["fhirVersion"] != "4.0.1" || cs["kind"] != "instance" {
			t.Errorf("%s: resourceType %v fhirVersion %v kind %v", path, cs["resourceType"], cs["fhirVersion"], cs["kind"])
		}
		rest := cs["rest"].([]any)[0].(map[string]any)
		var patient map[string]any
		for _, x := range rest["resource"].([]any) {
			if m := x.(map[string]any); m["type"] == "Patient" {
				patient = m
			}
		}
		if patient == nil {
			t.Fatalf("%s: no Patient resource", path)
		}
		params := map[string]bool{}
		for _, p := range patient["searchParam"].([]any) {
			params[p.(map[string]any)["name"].(string)] = true
		}
		for _, want := range []string{"_id", "family", "given", "birthdate", "gender", "identifier", "name"} {
			if !params[want] {
				t.Errorf("%s: Patient searchParam %s missing", path, want)
			}
		}
		if rev, _ := patient["searchRevInclude"].([]any); len(rev) != 1 || rev[0] != "Provenance:target" {
			t.Errorf("%s: searchRevInclude = %v", path, patient["searchRevInclude"])
		}
		if doc, _ := rest["documentation"].(string); !strings.Contains(doc, "_has") || !strings.Contains(doc, "_include:iterate") || !strings.Contains(doc, "chained") {
			t.Errorf("%s: rest.documentation does not describe chaining: %q", path, doc)
		}
		if _, ok := rest["security"].(map[string]any); !ok {
			t.Errorf("%s: no security section", path)
		}
	}
}

// TestEveryAdvertisedTypeAnswers: each type the CapabilityStatement lists
// is one the gate knows and the face serves: a search of it answers 200
// for a token with every read scope (SubscriptionStatus, an R4B type, was
// once advertised and refused).
func TestEveryAdvertisedTypeAnswers(t *testing.T) {
	ts := newTestServer(t, "sqlite")
	tok := ts.token("user/*.rs", "")
	rest := ts.do("GET", "/fhir/r4/metadata", "", "").json(t)["rest"].([]any)[0].(map[string]any)
	n := 0
	for _, x := range rest["resource"].([]any) {
		typ := x.(map[string]any)["type"].(string)
		if r := ts.do("GET", "/fhir/r4/"+typ+"?_count=1", tok, ""); r.status != 200 {
			t.Errorf("advertised %s: search answers %d %.200s", typ, r.status, r.body)
		}
		n++
	}
	if n != 146 {
		t.Errorf("%d types advertised, want R4's 146", n)
	}
}
