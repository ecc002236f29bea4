package search

import "testing"

func TestLocalBases(t *testing.T) {
	local := NewLocalBases("https://EHR.example.org/fhir/r4/", "http://old.example.org/fhir")
	for _, c := range []struct{ ref, typ, id string }{
		{"Patient/1", "Patient", "1"},
		{"Patient/1/_history/2", "Patient", "1"},
		{"https://ehr.example.org/fhir/r4/Patient/1", "Patient", "1"},
		{"HTTPS://ehr.EXAMPLE.org/fhir/r4/Observation/o-1/_history/3", "Observation", "o-1"},
		{"http://old.example.org/fhir/Patient/2", "Patient", "2"},
		{"https://ehr.example.org/fhir/R4/Patient/1", "", ""}, // paths are case-sensitive
		{"https://other.example.org/fhir/r4/Patient/1", "", ""},
		{"https://ehr.example.org/fhir/r4/x/Patient/1", "", ""},
		{"https://ehr.example.org/fhir/r4evil/Patient/1", "", ""},
		{"urn:uuid:0e1c0d6a-8a5b-4c3f-9d6e-1f2a3b4c5d6e", "", ""},
		{"#contained", "", ""},
		{"patient/1", "", ""},
	} {
		typ, id := LocalTarget(c.ref, local)
		if typ != c.typ || id != c.id {
			t.Errorf("LocalTarget(%q) = %q, %q; want %q, %q", c.ref, typ, id, c.typ, c.id)
		}
	}
	if typ, _ := LocalTarget("https://ehr.example.org/fhir/r4/Patient/1", nil); typ != "" {
		t.Error("with no local bases every absolute reference is external")
	}
}
