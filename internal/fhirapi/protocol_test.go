package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestReadProtocol covers the HTTP details of read, vread and update that
// R4 prescribes: _summary and _elements on read and vread (tagged
// SUBSETTED), If-Modified-Since, 406 for another FHIR version, 405 with
// Allow on a known path, and 201 for a PUT that recreates a deleted id.
func TestReadProtocol(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		tok := ts.Token("user/*.cruds", "")
		created := ts.Do("PUT", "/fhir/r4/Patient/pp", tok, `{"resourceType":"Patient","id":"pp","gender":"female","birthDate":"1970-01-01","name":[{"family":"Ode"}],"address":[{"city":"Bonn"}],"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ode</div>"}}`)
		if created.Status != 201 {
			t.Fatalf("put: %d %s", created.Status, created.Body)
		}
		lastMod, err := http.ParseTime(created.Header.Get("Last-Modified"))
		if err != nil {
			t.Fatalf("Last-Modified %q: %v", created.Header.Get("Last-Modified"), err)
		}
		cases := []struct {
			name    string
			method  string
			path    string
			headers []string
			status  int
			has     []string // in the body
			hasNot  []string
			allow   string
		}{
			{"read whole", "GET", "/fhir/r4/Patient/pp", nil, 200, []string{`"address"`, `"text"`}, []string{"SUBSETTED"}, ""},
			{"read _summary=true", "GET", "/fhir/r4/Patient/pp?_summary=true", nil, 200, []string{"SUBSETTED", `"gender"`, `"name"`}, []string{`"text"`}, ""},
			{"read _summary=text", "GET", "/fhir/r4/Patient/pp?_summary=text", nil, 200, []string{"SUBSETTED", `"text"`}, []string{`"gender"`}, ""},
			{"read _summary=data", "GET", "/fhir/r4/Patient/pp?_summary=data", nil, 200, []string{"SUBSETTED", `"address"`}, []string{`"div"`}, ""},
			{"read _elements", "GET", "/fhir/r4/Patient/pp?_elements=gender", nil, 200, []string{"SUBSETTED", `"gender"`}, []string{`"address"`, `"name"`}, ""},
			{"vread _elements", "GET", "/fhir/r4/Patient/pp/_history/1?_elements=birthDate", nil, 200, []string{"SUBSETTED", `"birthDate"`}, []string{`"gender"`}, ""},
			{"read _summary=count", "GET", "/fhir/r4/Patient/pp?_summary=count", nil, 400, []string{"_summary"}, nil, ""},
			{"read _elements bad", "GET", "/fhir/r4/Patient/pp?_elements=a.b", nil, 400, []string{"_elements"}, nil, ""},
			{"If-Modified-Since at update", "GET", "/fhir/r4/Patient/pp", []string{"If-Modified-Since", lastMod.UTC().Format(http.TimeFormat)}, 304, nil, nil, ""},
			{"If-Modified-Since after", "GET", "/fhir/r4/Patient/pp", []string{"If-Modified-Since", lastMod.Add(time.Hour).UTC().Format(http.TimeFormat)}, 304, nil, nil, ""},
			{"If-Modified-Since before", "GET", "/fhir/r4/Patient/pp", []string{"If-Modified-Since", lastMod.Add(-time.Second).UTC().Format(http.TimeFormat)}, 200, []string{`"gender"`}, nil, ""},
			{"If-Modified-Since unreadable", "GET", "/fhir/r4/Patient/pp", []string{"If-Modified-Since", "yesterday"}, 200, nil, nil, ""},
			{"If-None-Match decides", "GET", "/fhir/r4/Patient/pp", []string{"If-None-Match", `W/"7"`, "If-Modified-Since", lastMod.Add(time.Hour).UTC().Format(http.TimeFormat)}, 200, nil, nil, ""},
			{"Accept STU3", "GET", "/fhir/r4/Patient/pp", []string{"Accept", "application/fhir+json; fhirVersion=3.0"}, 406, []string{"3.0"}, nil, ""},
			{"Accept R4", "GET", "/fhir/r4/Patient/pp", []string{"Accept", "application/fhir+json; fhirVersion=4.0"}, 200, nil, nil, ""},
			{"Accept R4.0.1", "GET", "/fhir/r4/Patient/pp", []string{"Accept", "application/fhir+json; fhirVersion=4.0.1"}, 200, nil, nil, ""},
			{"Accept STU3 or R4", "GET", "/fhir/r4/Patient/pp", []string{"Accept", "application/fhir+json; fhirVersion=3.0, application/fhir+json; fhirVersion=4.0"}, 200, nil, nil, ""},
			{"POST instance", "POST", "/fhir/r4/Patient/pp", nil, 405, nil, nil, "GET, HEAD, PUT, DELETE, PATCH"},
			{"OPTIONS instance", "OPTIONS", "/fhir/r4/Patient/pp", nil, 405, nil, nil, "GET, HEAD, PUT, DELETE, PATCH"},
			{"OPTIONS type", "OPTIONS", "/fhir/r4/Patient", nil, 405, nil, nil, "GET, HEAD, POST, PUT, DELETE, PATCH"},
			{"POST compartment search", "POST", "/fhir/r4/Patient/pp/Observation", nil, 405, nil, nil, "GET, HEAD"},
			{"PUT type history", "PUT", "/fhir/r4/Patient/_history", nil, 405, nil, nil, "GET, HEAD"},
			{"GET _search", "GET", "/fhir/r4/Patient/_search", nil, 405, nil, nil, "POST"},
			{"POST instance history", "POST", "/fhir/r4/Patient/pp/_history", nil, 405, nil, nil, "GET, HEAD"},
			{"DELETE version", "DELETE", "/fhir/r4/Patient/pp/_history/1", nil, 405, nil, nil, "GET, HEAD"},
			{"POST metadata", "POST", "/fhir/r4/metadata", nil, 405, nil, nil, "GET, HEAD"},
			{"PATCH type history", "PATCH", "/fhir/r4/Patient/_history", nil, 405, nil, nil, "GET, HEAD"},
			{"POST instance again", "POST", "/fhir/r4/Patient/pp", nil, 405, nil, nil, "GET, HEAD, PUT, DELETE, PATCH"},
			{"PATCH metadata", "PATCH", "/fhir/r4/metadata", nil, 405, nil, nil, "GET, HEAD"},
			{"PUT docref", "PUT", "/fhir/r4/DocumentReference/$docref", nil, 405, nil, nil, "GET, HEAD, POST"},
			{"unknown type", "PATCH", "/fhir/r4/Nonsense/pp", nil, 404, nil, nil, ""},
			{"unknown type of type", "DELETE", "/fhir/r4/Nonsense", nil, 404, nil, nil, ""},
		}
		for _, c := range cases {
			r := ts.Do(c.method, c.path, tok, "", c.headers...)
			if r.Status != c.status {
				t.Errorf("%s: %d, want %d: %.300s", c.name, r.Status, c.status, r.Body)
				continue
			}
			for _, s := range c.has {
				if !strings.Contains(string(r.Body), s) {
					t.Errorf("%s: body lacks %s: %.300s", c.name, s, r.Body)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("%s: body has %s: %.300s", c.name, s, r.Body)
				}
			}
			if got := r.Header.Get("Allow"); got != c.allow {
				t.Errorf("%s: Allow %q, want %q", c.name, got, c.allow)
			}
		}

		// A conditional read is answered only after the caller may read:
		// another patient's token learns nothing from a 304.
		other := ts.Token("patient/*.rs", "someone-else")
		for _, h := range [][]string{
			{"If-Modified-Since", lastMod.Add(time.Hour).UTC().Format(http.TimeFormat)},
			{"If-None-Match", `W/"1"`},
		} {
			if r := ts.Do("GET", "/fhir/r4/Patient/pp", other, "", h...); r.Status == 304 || r.Status == 200 {
				t.Errorf("%s from another patient's token: %d", h[0], r.Status)
			}
		}

		// A PUT that recreates a deleted id creates it: 201.
		if r := ts.Do("DELETE", "/fhir/r4/Patient/pp", tok, ""); r.Status != 204 && r.Status != 200 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := ts.Do("PUT", "/fhir/r4/Patient/pp", tok, `{"resourceType":"Patient","id":"pp","gender":"male"}`); r.Status != 201 {
			t.Errorf("PUT after delete: %d, want 201: %s", r.Status, r.Body)
		}
		if r := ts.Do("PUT", "/fhir/r4/Patient/pp", tok, `{"resourceType":"Patient","id":"pp","gender":"other"}`); r.Status != 200 {
			t.Errorf("PUT of a live id: %d, want 200: %s", r.Status, r.Body)
		}
	})
}

// TestExactSearchOverHTTP: the cases through the FHIR face.
func TestExactSearchOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		tok := ts.Token("user/*.cruds", "")
		ts.PutAll(t, tok,
			`{"resourceType":"Patient","id":"px","gender":"female"}`,
			`{"resourceType":"Observation","id":"a","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/px"},"valueQuantity":{"value":0.85,"unit":"mg"}}`,
			`{"resourceType":"Observation","id":"b","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/px"},"valueQuantity":{"value":0.95,"system":"http://unitsofmeasure.org","code":"mg"}}`,
			`{"resourceType":"Observation","id":"c","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/px"},"valueQuantity":{"value":82,"unit":"beats/minute"}}`,
			`{"resourceType":"Observation","id":"d","status":"final","code":{"text":"t"},"subject":{"reference":"Patient/px"},"effectivePeriod":{"start":"2020-01-01","end":"2020-02-10"}}`,
		)
		for _, c := range []struct{ query, want string }{
			{"Observation?value-quantity=0.9", "a"},
			{"Observation?value-quantity=0.95||mg", "b"},
			{"Observation?code=8867-4&value-quantity=82||beats/minute", "c"},
			{"Observation?date=ge2020-02", ""},    // starts before February: neither above nor inside
			{"Observation?date=le2020-02", "d"},   // starts before February
			{"Observation?date=ge2020", "d"},      // inside 2020
			{"Observation?date=gt2020-02-15", ""}, // ends before that day
			{"Patient?gender=http://hl7.org/fhir/administrative-gender|female", "px"},
		} {
			var got []string
			for _, e := range ts.SearchAll(t, "/fhir/r4/"+c.query, tok) {
				got = append(got, e.ID)
			}
			if g := strings.Join(got, ","); g != c.want {
				t.Errorf("%s = %q, want %q", c.query, g, c.want)
			}
		}
	})
}
