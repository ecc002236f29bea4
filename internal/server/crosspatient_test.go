package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestCrossPatientIsolation seeds two synthetic patients with every record
// type the seed makes, and checks that a patient/ token for patient A sees
// nothing of patient B's through any read path of the FHIR face: read,
// vread, instance and type history, type search (every page), search by
// B's id, and every _include and _revinclude the search parameters allow.
// "B's records" are found independently of the server's compartment code:
// Patient B and everything that references one of B's records,
// transitively, unless it references A's too (a Group of both).
func TestCrossPatientIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		stats, err := server.Seed(context.Background(), ts.app.Store,
			seed.Options{Patients: 2, Seed: 42, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		admin := ts.token("user/*.rs", "")
		all := map[string]seeded{} // "Type/id" → resource
		for typ := range stats.ByType {
			for _, r := range ts.searchAll(t, "/fhir/r4/"+typ+"?_count=1000", admin) {
				all[r.key] = r
			}
		}
		var patients []string
		for k := range all {
			if id, ok := strings.CutPrefix(k, "Patient/"); ok {
				patients = append(patients, id)
			}
		}
		sort.Strings(patients)
		if len(patients) != 2 {
			t.Fatalf("%d patients seeded", len(patients))
		}
		for i, a := range patients {
			b := patients[1-i]
			t.Run("A="+a, func(t *testing.T) {
				checkIsolation(t, ts, all, stats.ByType, a, b)
			})
		}
	})
}

// seeded is one stored resource as the administrator lists it.
type seeded struct {
	key, typ, id, version string
	body                  string
}

// searchAll follows a search's next links and returns every match.
func (ts *testServer) searchAll(t *testing.T, path, token string) []seeded {
	t.Helper()
	var out []seeded
	for path != "" {
		r := ts.do("GET", path, token, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var bundle struct {
			Link []struct {
				Relation, URL string
			}
			Entry []struct {
				Resource json.RawMessage
				Search   struct{ Mode string }
			}
		}
		if err := json.Unmarshal(r.body, &bundle); err != nil {
			t.Fatal(err)
		}
		for _, e := range bundle.Entry {
			var head struct {
				ResourceType, ID string
				Meta             struct{ VersionID string }
			}
			json.Unmarshal(e.Resource, &head)
			out = append(out, seeded{key: head.ResourceType + "/" + head.ID, typ: head.ResourceType, id: head.ID,
				version: head.Meta.VersionID, body: string(e.Resource)})
		}
		path = ""
		for _, l := range bundle.Link {
			if l.Relation == "next" {
				path = strings.TrimPrefix(l.URL, ts.app.BaseURL)
			}
		}
	}
	return out
}

// recordsOf is the patient's records: the Patient and, transitively,
// whatever references one of them, leaving out what also references the
// other patient's records.
func recordsOf(all map[string]seeded, patient, other string) map[string]bool {
	mine := grow(all, "Patient/"+patient)
	theirs := grow(all, "Patient/"+other)
	for k := range mine {
		if theirs[k] {
			delete(mine, k)
		}
	}
	return mine
}

func grow(all map[string]seeded, root string) map[string]bool {
	set := map[string]bool{root: true}
	for changed := true; changed; {
		changed = false
		for k, r := range all {
			if set[k] {
				continue
			}
			for ref := range set {
				if strings.Contains(r.body, `"reference":"`+ref+`"`) {
					set[k], changed = true, true
					break
				}
			}
		}
	}
	return set
}

func checkIsolation(t *testing.T, ts *testServer, all map[string]seeded, byType map[string]int, a, b string) {
	tokA := ts.token("patient/*.rs", a)
	recA, recB := recordsOf(all, a, b), recordsOf(all, b, a)
	if len(recB) < 20 {
		t.Fatalf("patient %s has only %d records: the seed changed?", b, len(recB))
	}
	// Every patient record type the seed makes is covered: all but the
	// practice's shared records and the Group of both.
	shared := map[string]bool{"Organization": true, "Location": true, "Practitioner": true, "PractitionerRole": true, "Medication": true, "Group": true}
	covered := map[string]int{}
	for k := range recB {
		covered[all[k].typ]++
	}
	for typ := range byType {
		if !shared[typ] && covered[typ] == 0 {
			t.Errorf("patient %s has no %s records to check", b, typ)
		}
	}
	t.Logf("%d records of patient %s in %d types: %v", len(recB), b, len(covered), covered)
	leaked := func(where string, got []seeded) {
		t.Helper()
		for _, r := range got {
			if recB[r.key] {
				t.Errorf("%s shows %s, a record of the other patient", where, r.key)
			}
		}
	}
	// Every record of B: read, vread and instance history are refused.
	for k := range recB {
		r := all[k]
		if got := ts.do("GET", "/fhir/r4/"+k, tokA, ""); got.status == 200 || got.status >= 500 || strings.Contains(string(got.body), `"resourceType":"`+r.typ+`"`) {
			t.Errorf("read %s: %d %.200s", k, got.status, got.body)
		}
		if got := ts.do("GET", "/fhir/r4/"+k+"/_history/"+r.version, tokA, ""); got.status == 200 || got.status >= 500 {
			t.Errorf("vread %s: %d", k, got.status)
		}
		if got := ts.do("GET", "/fhir/r4/"+k+"/_history", tokA, ""); got.status == 200 && strings.Contains(string(got.body), `"entry"`) || got.status >= 500 {
			t.Errorf("history %s: %d %.200s", k, got.status, got.body)
		}
		if got := ts.do("GET", "/fhir/r4/"+r.typ+"?_id="+r.id, tokA, ""); got.status == 200 && strings.Contains(string(got.body), `"entry"`) || got.status >= 500 {
			t.Errorf("search %s?_id: %d %.200s", r.typ, got.status, got.body)
		}
	}

	// Every type: search and type history list none of B's records, and
	// each of A's own types is visible (the control that shows the token
	// works at all).
	ownTypes := map[string]bool{}
	for k := range recA {
		ownTypes[all[k].typ] = true
	}
	for typ := range byType {
		got := ts.tolerantSearch(t, "/fhir/r4/"+typ+"?_count=1000", tokA)
		leaked(typ+" search", got)
		if ownTypes[typ] && len(got) == 0 {
			t.Errorf("patient %s sees none of their own %s records", a, typ)
		}
		leaked(typ+" history", ts.tolerantSearch(t, "/fhir/r4/"+typ+"/_history?_count=1000", tokA))
		if _, ok := spec.LookupSearchParam(typ, "patient"); ok {
			leaked(typ+"?patient=B", ts.tolerantSearch(t, "/fhir/r4/"+typ+"?patient="+b, tokA))
		}
		if _, ok := spec.LookupSearchParam(typ, "subject"); ok {
			leaked(typ+"?subject=B", ts.tolerantSearch(t, "/fhir/r4/"+typ+"?subject=Patient/"+b, tokA))
		}
	}
	// A's own records that name A directly are readable: the control.
	for k := range recA {
		if k != "Patient/"+a && !strings.Contains(all[k].body, `"reference":"Patient/`+a+`"`) {
			continue
		}
		if got := ts.do("GET", "/fhir/r4/"+k, tokA, ""); got.status != 200 {
			t.Errorf("own record %s: %d", k, got.status)
		}
	}

	// Every reference parameter of every seeded type, as _include from
	// that type and as _revinclude from the resources it may point at.
	for typ := range byType {
		for _, p := range spec.SearchParams(typ) {
			if p.Type != spec.ParamReference || len(p.Paths) == 0 {
				continue
			}
			inc := "/fhir/r4/" + typ + "?_count=1000&_include=" + url.QueryEscape(typ+":"+p.Code)
			leaked("_include "+typ+":"+p.Code, ts.tolerantSearch(t, inc, tokA))
			for _, target := range p.Targets {
				if byType[target] == 0 {
					continue
				}
				rev := "/fhir/r4/" + target + "?_count=1000&_revinclude=" + url.QueryEscape(typ+":"+p.Code)
				leaked("_revinclude "+target+"←"+typ+":"+p.Code, ts.tolerantSearch(t, rev, tokA))
			}
		}
	}
}

// tolerantSearch runs a search that may be refused: a refusal (403, or a
// 400 for a combination the server does not support) shows nothing, which
// is what isolation asks; a 500 fails the test.
func (ts *testServer) tolerantSearch(t *testing.T, path, token string) []seeded {
	t.Helper()
	r := ts.do("GET", path, token, "")
	switch {
	case r.status >= 500:
		t.Errorf("%s: %d %s", path, r.status, r.body)
		return nil
	case r.status != 200:
		return nil
	}
	return ts.searchAll(t, path, token)
}
