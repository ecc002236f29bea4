package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"strings"
	"testing"
)

func TestSearchSubsetting(t *testing.T) {
	ts := testenv.Start(t, "sqlite", nil)
	tok := ts.Token("user/*.cruds", "")
	body := `{"resourceType":"Patient","id":"s1","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ann</div>"},"name":[{"family":"Summary","given":["Ann"]}],"gender":"female","photo":[{"contentType":"image/png","data":"AAAA"}],"contact":[{"name":{"family":"Kin"}}]}`
	if r := ts.Do("PUT", "/fhir/r4/Patient/s1", tok, body); r.Status != 201 {
		t.Fatalf("PUT: %d %s", r.Status, r.Body)
	}
	tests := []struct {
		query      string
		want, gone []string
	}{
		{"_summary=true", []string{`"name"`, `"gender"`, "SUBSETTED"}, []string{`"photo"`, `"contact"`, `"text"`}},
		{"_summary=text", []string{`"text"`, "SUBSETTED"}, []string{`"photo"`, `"name"`}},
		{"_summary=data", []string{`"name"`, `"photo"`, "SUBSETTED"}, []string{`"div"`}},
		{"_summary=false", []string{`"name"`, `"photo"`, `"text"`}, []string{"SUBSETTED"}},
		{"_elements=gender", []string{`"gender"`, "SUBSETTED"}, []string{`"name"`, `"photo"`}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := ts.Do("GET", "/fhir/r4/Patient?_id=s1&"+tt.query, tok, "")
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			got := string(r.Body)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s lacks %s: %s", tt.query, w, got)
				}
			}
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("%s keeps %s: %s", tt.query, g, got)
				}
			}
		})
	}
}
