package fhirapi_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// jsonPatchEntry is a transaction or batch entry PATCHing url with a JSON
// Patch: a Binary of application/json-patch+json whose data is the patch.
func jsonPatchEntry(url, patch, ifMatch string) string {
	rq := `"method":"PATCH","url":"` + url + `"`
	if ifMatch != "" {
		rq += `,"ifMatch":"` + strings.ReplaceAll(ifMatch, `"`, `\"`) + `"`
	}
	return `{"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"` +
		base64.StdEncoding.EncodeToString([]byte(patch)) + `"},"request":{` + rq + `}}`
}

// fhirPathPatchEntry PATCHes url with a FHIRPath Patch replacing path by
// a code.
func fhirPathPatchEntry(url, path, code string) string {
	return `{"resource":{"resourceType":"Parameters","parameter":[{"name":"operation","part":[` +
		`{"name":"type","valueCode":"replace"},{"name":"path","valueString":"` + path + `"},{"name":"value","valueCode":"` + code + `"}]}]},` +
		`"request":{"method":"PATCH","url":"` + url + `"}}`
}

func bundleOf(btype string, entries ...string) string {
	return `{"resourceType":"Bundle","type":"` + btype + `","entry":[` + strings.Join(entries, ",") + `]}`
}

// responseEntries are the entries of a transaction-response or
// batch-response.
func responseEntries(t *testing.T, r testenv.Response) []map[string]any {
	t.Helper()
	var out []map[string]any
	list, _ := r.JSON(t)["entry"].([]any)
	for _, e := range list {
		out = append(out, e.(map[string]any))
	}
	return out
}

func entryStatus(e map[string]any) string {
	return e["response"].(map[string]any)["status"].(string)
}

// TestTransactionPatchEntries: PATCH entries of a transaction, by id with
// a JSON Patch (ifMatch honoured) and by conditional url with a FHIRPath
// Patch, are applied in the PUT/PATCH phase with the other entries; a
// patch may point a reference at another entry's fullUrl; and the
// transaction's GET entries, processed last and inside it, read what the
// entries before them wrote: the patched Patient and a Practitioner the
// Bundle created.
func TestTransactionPatchEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin,
			`{"resourceType":"Patient","id":"p1","gender":"male","name":[{"family":"Before"}]}`,
			`{"resourceType":"Observation","id":"o1","status":"preliminary","identifier":[{"system":"urn:test:obs","value":"o-1"}],"code":{"text":"weight"},"subject":{"reference":"Patient/p1"}}`,
		)
		doc := "urn:uuid:5a0f3f8e-7b0e-4c8a-9d7e-000000000001"
		r := ts.Do("POST", "/fhir/r4", admin, bundleOf("transaction",
			`{"request":{"method":"GET","url":"Patient/p1"}}`,
			`{"request":{"method":"GET","url":"Practitioner?identifier=urn:test:npi|77"}}`,
			`{"request":{"method":"GET","url":"Observation?subject=Patient/p1&_include=Observation:subject"}}`,
			`{"request":{"method":"GET","url":"Patient/p1/_history"}}`,
			jsonPatchEntry("Patient/p1", `[{"op":"replace","path":"/name/0/family","value":"After"},`+
				`{"op":"add","path":"/generalPractitioner","value":[{"reference":"`+doc+`"}]}]`, `W/"1"`),
			fhirPathPatchEntry("Observation?identifier=urn:test:obs|o-1", "Observation.status", "final"),
			`{"fullUrl":"`+doc+`","resource":{"resourceType":"Practitioner","identifier":[{"system":"urn:test:npi","value":"77"}]},"request":{"method":"POST","url":"Practitioner"}}`,
			`{"request":{"method":"GET","url":"Patient/p1/$everything"}}`,
		))
		if r.Status != 200 {
			t.Fatalf("transaction: %d %s", r.Status, r.Body)
		}
		es := responseEntries(t, r)
		for i, want := range []string{"200 OK", "200 OK", "200 OK", "200 OK", "200 OK", "200 OK", "201 Created", "200 OK"} {
			if got := entryStatus(es[i]); got != want {
				t.Fatalf("entry %d: %s, want %s: %s", i, got, want, r.Body)
			}
		}
		if etag := es[4]["response"].(map[string]any)["etag"]; etag != `W/"2"` {
			t.Errorf("the patched Patient's etag is %v, want W/\"2\"", etag)
		}
		docRef := "Practitioner/" + strings.TrimPrefix(es[6]["response"].(map[string]any)["location"].(string), "Practitioner/")
		docRef = docRef[:strings.Index(docRef, "/_history")]
		got := string(ts.Do("GET", "/fhir/r4/Patient/p1", admin, "").Body)
		if !strings.Contains(got, `"family":"After"`) || !strings.Contains(got, `"reference":"`+docRef+`"`) {
			t.Errorf("the Patient after the transaction (want family After and a reference to %s): %s", docRef, got)
		}
		if got := string(ts.Do("GET", "/fhir/r4/Observation/o1", admin, "").Body); !strings.Contains(got, `"status":"final"`) {
			t.Errorf("the Observation after the FHIRPath Patch: %s", got)
		}
		// The GET entries, answered within the transaction, saw its writes.
		body := func(i int) string {
			b, _ := json.Marshal(es[i]["resource"])
			return string(b)
		}
		if b := body(0); !strings.Contains(b, `"family":"After"`) || !strings.Contains(b, docRef) {
			t.Errorf("GET Patient/p1 inside the transaction did not read the patched version: %s", b)
		}
		if b := body(1); strings.Count(b, `"mode":"match"`) != 1 || !strings.Contains(b, `"value":"77"`) {
			t.Errorf("GET Practitioner?identifier inside the transaction did not find the Practitioner an earlier entry created: %s", b)
		}
		if b := body(2); !strings.Contains(b, `"status":"final"`) || !strings.Contains(b, `"family":"After"`) {
			t.Errorf("the search with _include inside the transaction did not read the patched resources: %s", b)
		}
		if b := body(3); !strings.Contains(b, `"versionId":"2"`) || !strings.Contains(b, `"family":"After"`) {
			t.Errorf("the Patient's history inside the transaction does not hold the patch's version: %s", b)
		}
		if b := body(7); !strings.Contains(b, `"status":"final"`) || !strings.Contains(b, `"family":"After"`) || !strings.Contains(b, `"value":"77"`) {
			t.Errorf("Patient/p1/$everything inside the transaction did not read the transaction's writes: %s", b)
		}
	})
}

// TestTransactionPatchEntryErrors: a PATCH entry that cannot be applied
// fails the whole transaction with its status and an OperationOutcome
// naming the entry, and nothing is stored.
func TestTransactionPatchEntryErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin, `{"resourceType":"Patient","id":"p1","gender":"male","name":[{"family":"Kept"}]}`)
		create := `{"fullUrl":"urn:uuid:5a0f3f8e-7b0e-4c8a-9d7e-000000000002","resource":{"resourceType":"Patient","name":[{"family":"Orphan"}]},"request":{"method":"POST","url":"Patient"}}`
		for _, c := range []struct {
			name, token, entry string
			status             int
			expression         string
		}{
			{"stale ifMatch", admin, jsonPatchEntry("Patient/p1", `[{"op":"replace","path":"/name/0/family","value":"X"}]`, `W/"7"`), 412, "Bundle.entry[1]"},
			{"invalid result", admin, jsonPatchEntry("Patient/p1", `[{"op":"replace","path":"/gender","value":"robot"}]`, ""), 400, "Bundle.entry[1].resource.gender"},
			{"failing test op", admin, jsonPatchEntry("Patient/p1", `[{"op":"test","path":"/gender","value":"female"}]`, ""), 409, "Bundle.entry[1].resource.data[0]"},
			{"not a patch media type", admin, `{"resource":{"resourceType":"Binary","contentType":"text/plain","data":"W10="},"request":{"method":"PATCH","url":"Patient/p1"}}`, 400, "Bundle.entry[1].resource.contentType"},
			{"not a patch resource", admin, `{"resource":{"resourceType":"Patient"},"request":{"method":"PATCH","url":"Patient/p1"}}`, 400, "Bundle.entry[1].resource"},
			{"unknown id", admin, jsonPatchEntry("Patient/nobody", `[{"op":"replace","path":"/gender","value":"female"}]`, ""), 404, "Bundle.entry[1]"},
			{"search matching none", admin, fhirPathPatchEntry("Patient?family=nobody", "Patient.gender", "female"), 404, "Bundle.entry[1]"},
			{"no update scope", ts.Token("user/Patient.crs", ""), jsonPatchEntry("Patient/p1", `[{"op":"replace","path":"/gender","value":"female"}]`, ""), 403, "Bundle.entry[1]"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := ts.Do("POST", "/fhir/r4", c.token, bundleOf("transaction", create, c.entry))
				if r.Status != c.status || !strings.Contains(string(r.Body), `"expression":["`+c.expression) {
					t.Fatalf("%d %s, want %d naming %s", r.Status, r.Body, c.status, c.expression)
				}
				if got := string(ts.Do("GET", "/fhir/r4/Patient?family=Orphan&_summary=count", admin, "").Body); !strings.Contains(got, `"total":0`) {
					t.Fatalf("the failed transaction stored its create: %s", got)
				}
				if got := string(ts.Do("GET", "/fhir/r4/Patient/p1", admin, "").Body); !strings.Contains(got, `"versionId":"1"`) {
					t.Fatalf("the failed transaction changed Patient/p1: %s", got)
				}
			})
		}
	})
}

// TestBatchPatchEntries: a batch's PATCH entries are answered each on its
// own, as PATCH requests to the face: one applied, one refused with its
// OperationOutcome, neither affecting the other.
func TestBatchPatchEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin, `{"resourceType":"Patient","id":"p1","gender":"male"}`)
		r := ts.Do("POST", "/fhir/r4", admin, bundleOf("batch",
			jsonPatchEntry("Patient/p1", `[{"op":"replace","path":"/gender","value":"female"}]`, `W/"1"`),
			jsonPatchEntry("Patient/p1", `[{"op":"replace","path":"/gender","value":"other"}]`, `W/"1"`),
			fhirPathPatchEntry("Patient?_id=p1", "Patient.gender", "unknown"),
		))
		if r.Status != 200 {
			t.Fatalf("batch: %d %s", r.Status, r.Body)
		}
		es := responseEntries(t, r)
		for i, want := range []string{"200 OK", "412 Precondition Failed", "200 OK"} {
			if got := entryStatus(es[i]); got != want {
				t.Errorf("entry %d: %s, want %s", i, got, want)
			}
		}
		if _, ok := es[1]["response"].(map[string]any)["outcome"]; !ok {
			t.Errorf("the refused entry has no OperationOutcome: %s", r.Body)
		}
		if got := string(ts.Do("GET", "/fhir/r4/Patient/p1", admin, "").Body); !strings.Contains(got, `"gender":"unknown"`) || !strings.Contains(got, `"versionId":"3"`) {
			t.Errorf("Patient/p1 after the batch: %s", got)
		}
	})
}

// TestPatientPatchEntryConfined: a patient token's transaction patches its
// own record, and another patient's record is not known to it (404, as a
// read of it is), by id or by search; the other record is unchanged.
func TestPatientPatchEntryConfined(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin,
			`{"resourceType":"Patient","id":"pa","gender":"male","name":[{"family":"Able"}]}`,
			`{"resourceType":"Patient","id":"pb","gender":"male","name":[{"family":"Baker"}]}`)
		tok := ts.Token("patient/*.cruds", "pa")
		patch := `[{"op":"replace","path":"/gender","value":"female"}]`
		if r := ts.Do("POST", "/fhir/r4", tok, bundleOf("transaction", jsonPatchEntry("Patient/pa", patch, ""))); r.Status != 200 {
			t.Fatalf("patching its own record: %d %s", r.Status, r.Body)
		}
		for _, entry := range []string{jsonPatchEntry("Patient/pb", patch, ""), fhirPathPatchEntry("Patient?family=Baker", "Patient.gender", "female")} {
			r := ts.Do("POST", "/fhir/r4", tok, bundleOf("transaction", entry))
			if r.Status != 404 || !strings.Contains(string(r.Body), `"expression":["Bundle.entry[0]`) {
				t.Errorf("patching another patient's record: %d %s, want 404 naming the entry", r.Status, r.Body)
			}
		}
		if got := string(ts.Do("GET", "/fhir/r4/Patient/pb", admin, "").Body); !strings.Contains(got, `"versionId":"1"`) {
			t.Errorf("the other patient's record changed: %s", got)
		}
	})
}
