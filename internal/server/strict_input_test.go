package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// Strict input (issue 13, "Strict input"): control characters, unsafe
// narrative, badly formed contained resources and trailing data are refused
// with a 400 naming what is wrong on every face, before anything is stored
// or queried; nothing is written on a refusal.

const (
	stPatient = `{"resourceType":"Patient","id":"p1","name":[{"family":"Cook","given":["Harper"]}],"gender":"female","birthDate":"1970-01-02"}`
	stObs     = `{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`
)

// fhirState is how many Patients and Observations the server holds and
// p1's version: what a refused request must leave as it was.
func fhirState(t *testing.T, ts *testServer, tok string) string {
	t.Helper()
	var out []string
	for _, typ := range []string{"Patient", "Observation"} {
		r := ts.do("GET", "/fhir/r4/"+typ+"?_summary=count", tok, "")
		if r.status != 200 {
			t.Fatalf("count %s: %d %s", typ, r.status, r.body)
		}
		out = append(out, fmt.Sprint(typ, "=", r.json(t)["total"]))
	}
	r := ts.do("GET", "/fhir/r4/Patient/p1", tok, "")
	return strings.Join(out, " ") + " p1@" + r.header.Get("ETag")
}

// strictCase is one request that must be refused with a 400 whose body
// holds every string of want.
type strictCase struct {
	name, method, path, body string
	want                     []string
}

func TestFHIRRefusesControlCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		tok := ts.token("user/*.cruds", "")
		for _, b := range []string{stPatient, stObs} {
			typ := strings.Split(b, `"`)[3]
			if r := ts.do("PUT", "/fhir/r4/"+typ+"/"+strings.Split(b, `"`)[7], tok, b); r.status != 201 {
				t.Fatalf("seed %s: %d %s", typ, r.status, r.body)
			}
		}
		before := fhirState(t, ts, tok)
		ctl := "control characters"
		tests := []strictCase{
			{"create NUL in a string", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","name":[{"family":"Co\u0000ok"}]}`, []string{"Patient.name[0].family", ctl, "U+0000"}},
			{"create escape in a code", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","gender":"fe\u001bmale"}`, []string{"Patient.gender", ctl}},
			{"create C1 in markdown", "POST", "/fhir/r4/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"note":[{"text":"a\u009bb"}]}`, []string{"Observation.note[0].text", "U+009B"}},
			{"create DEL in an id of an extension", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","_gender":{"id":"a\u007f"},"gender":"male"}`, []string{"Patient._gender.id", ctl}},
			{"update vertical tab", "PUT", "/fhir/r4/Patient/p1", `{"resourceType":"Patient","id":"p1","name":[{"family":"Cook\u000b"}]}`, []string{"Patient.name[0].family", ctl}},
			{"narrative NUL", "PUT", "/fhir/r4/Patient/p1", `{"resourceType":"Patient","id":"p1","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a\u0000</div>"}}`, []string{"Patient.text.div", ctl}},
			{"search string", "GET", "/fhir/r4/Patient?family=Co%00ok", "", []string{"family", ctl}},
			{"search token", "GET", "/fhir/r4/Patient?gender=male%01", "", []string{"gender", ctl}},
			{"search token system", "GET", "/fhir/r4/Patient?identifier=urn:x%00|1", "", []string{"identifier", ctl}},
			{"search date", "GET", "/fhir/r4/Patient?birthdate=1970%00", "", []string{"birthdate", ctl}},
			{"search reference", "GET", "/fhir/r4/Observation?subject=Patient/p%001", "", []string{"subject", ctl}},
			{"search number", "GET", "/fhir/r4/RiskAssessment?probability=0.5%00", "", []string{"probability", ctl}},
			{"search quantity", "GET", "/fhir/r4/Observation?value-quantity=72%00", "", []string{"value-quantity", ctl}},
			{"search uri", "GET", "/fhir/r4/ValueSet?url=http://x%00", "", []string{"url", ctl}},
			{"search composite", "GET", "/fhir/r4/Observation?code-value-quantity=8867-4%00$72", "", []string{"code-value-quantity", ctl}},
			{"search _id", "GET", "/fhir/r4/Patient?_id=p%001", "", []string{"_id", ctl}},
			{"search chain", "GET", "/fhir/r4/Observation?subject:Patient.name=Co%00ok", "", []string{"subject:Patient.name", ctl}},
			{"search _has", "GET", "/fhir/r4/Patient?_has:Observation:subject:code=8867%004", "", []string{"_has:Observation:subject:code", ctl}},
			{"search modifier", "GET", "/fhir/r4/Patient?family:exact=%1b", "", []string{"family:exact", ctl}},
			{"search _sort", "GET", "/fhir/r4/Patient?_sort=family%00", "", []string{"_sort", ctl}},
			{"search C1", "GET", "/fhir/r4/Patient?name=%C2%85", "", []string{"name", "U+0085"}},
			{"parameter name", "GET", "/fhir/r4/Patient?fam%00ily=x", "", []string{`fam\\x00ily`, ctl}},
			{"history _since", "GET", "/fhir/r4/Patient/_history?_since=2020%00", "", []string{"_since", ctl}},
			{"read _pretty", "GET", "/fhir/r4/Patient/p1?_pretty=true%00", "", []string{"_pretty", ctl}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.do(tt.method, tt.path, tok, tt.body)
				checkRefused(t, r, tt)
				if m := r.json(t); m["resourceType"] != "OperationOutcome" {
					t.Fatalf("not an OperationOutcome: %s", r.body)
				}
			})
		}
		t.Run("POST _search form", func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.srv.URL+"/fhir/r4/Patient/_search", strings.NewReader("family=Co%00ok"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "Bearer "+tok)
			checkRefused(t, send(t, req), strictCase{name: "POST _search", want: []string{"family", ctl}})
		})
		if after := fhirState(t, ts, tok); after != before {
			t.Fatalf("a refused request changed the store: %s, was %s", after, before)
		}
	})
}

func checkRefused(t *testing.T, r response, tt strictCase) {
	t.Helper()
	if r.status != 400 {
		t.Fatalf("%s %s: %d %s; want 400", tt.method, tt.path, r.status, r.body)
	}
	for _, w := range tt.want {
		if !strings.Contains(string(r.body), w) {
			t.Fatalf("%s %s: %s; want it to contain %q", tt.method, tt.path, r.body, w)
		}
	}
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: []byte(b.String())}
}
