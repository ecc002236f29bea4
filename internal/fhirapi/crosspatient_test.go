package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"context"
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
		ts := testenv.Start(t, dialect, nil)
		stats, err := server.Seed(context.Background(), ts.App.Store,
			seed.Options{Patients: 2, Seed: 42, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		admin := ts.Token("user/*.rs", "")
		all := map[string]testenv.Found{} // "Type/id" → resource
		for typ := range stats.ByType {
			for _, r := range ts.SearchAll(t, "/fhir/r4/"+typ+"?_count=1000", admin) {
				all[r.Key] = r
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

// recordsOf is the patient's records: the Patient and, transitively,
// whatever references one of them, leaving out what also references the
// other patient's records.
func recordsOf(all map[string]testenv.Found, patient, other string) map[string]bool {
	mine := grow(all, "Patient/"+patient)
	theirs := grow(all, "Patient/"+other)
	for k := range mine {
		if theirs[k] {
			delete(mine, k)
		}
	}
	return mine
}

func grow(all map[string]testenv.Found, root string) map[string]bool {
	set := map[string]bool{root: true}
	for changed := true; changed; {
		changed = false
		for k, r := range all {
			if set[k] {
				continue
			}
			for ref := range set {
				if strings.Contains(r.Body, `"reference":"`+ref+`"`) {
					set[k], changed = true, true
					break
				}
			}
		}
	}
	return set
}

func checkIsolation(t *testing.T, ts *testenv.Server, all map[string]testenv.Found, byType map[string]int, a, b string) {
	tokA := ts.Token("patient/*.rs", a)
	recA, recB := recordsOf(all, a, b), recordsOf(all, b, a)
	if len(recB) < 20 {
		t.Fatalf("patient %s has only %d records: the seed changed?", b, len(recB))
	}
	// Every patient record type the seed makes is covered: all but the
	// practice's shared records and the Group of both.
	shared := map[string]bool{"Organization": true, "Location": true, "Practitioner": true, "PractitionerRole": true, "Medication": true, "Group": true}
	covered := map[string]int{}
	for k := range recB {
		covered[all[k].Type]++
	}
	for typ := range byType {
		if !shared[typ] && covered[typ] == 0 {
			t.Errorf("patient %s has no %s records to check", b, typ)
		}
	}
	t.Logf("%d records of patient %s in %d types: %v", len(recB), b, len(covered), covered)
	leaked := func(where string, got []testenv.Found) {
		t.Helper()
		for _, r := range got {
			if recB[r.Key] {
				t.Errorf("%s shows %s, a record of the other patient", where, r.Key)
			}
		}
	}
	// Every record of B: read, vread and instance history are refused.
	for k := range recB {
		r := all[k]
		if got := ts.Do("GET", "/fhir/r4/"+k, tokA, ""); got.Status == 200 || got.Status >= 500 || strings.Contains(string(got.Body), `"resourceType":"`+r.Type+`"`) {
			t.Errorf("read %s: %d %.200s", k, got.Status, got.Body)
		}
		if got := ts.Do("GET", "/fhir/r4/"+k+"/_history/"+r.Version, tokA, ""); got.Status == 200 || got.Status >= 500 {
			t.Errorf("vread %s: %d", k, got.Status)
		}
		if got := ts.Do("GET", "/fhir/r4/"+k+"/_history", tokA, ""); got.Status == 200 && strings.Contains(string(got.Body), `"entry"`) || got.Status >= 500 {
			t.Errorf("history %s: %d %.200s", k, got.Status, got.Body)
		}
		if got := ts.Do("GET", "/fhir/r4/"+r.Type+"?_id="+r.ID, tokA, ""); got.Status == 200 && strings.Contains(string(got.Body), `"entry"`) || got.Status >= 500 {
			t.Errorf("search %s?_id: %d %.200s", r.Type, got.Status, got.Body)
		}
	}

	// Every type: search and type history list none of B's records, and
	// each of A's own types is visible (the control that shows the token
	// works at all).
	ownTypes := map[string]bool{}
	for k := range recA {
		ownTypes[all[k].Type] = true
	}
	for typ := range byType {
		got := ts.TolerantSearch(t, "/fhir/r4/"+typ+"?_count=1000", tokA)
		leaked(typ+" search", got)
		if ownTypes[typ] && len(got) == 0 {
			t.Errorf("patient %s sees none of their own %s records", a, typ)
		}
		leaked(typ+" history", ts.TolerantSearch(t, "/fhir/r4/"+typ+"/_history?_count=1000", tokA))
		if _, ok := spec.LookupSearchParam(typ, "patient"); ok {
			leaked(typ+"?patient=B", ts.TolerantSearch(t, "/fhir/r4/"+typ+"?patient="+b, tokA))
		}
		if _, ok := spec.LookupSearchParam(typ, "subject"); ok {
			leaked(typ+"?subject=B", ts.TolerantSearch(t, "/fhir/r4/"+typ+"?subject=Patient/"+b, tokA))
		}
	}
	// A's own records that name A directly are readable: the control.
	for k := range recA {
		if k != "Patient/"+a && !strings.Contains(all[k].Body, `"reference":"Patient/`+a+`"`) {
			continue
		}
		if got := ts.Do("GET", "/fhir/r4/"+k, tokA, ""); got.Status != 200 {
			t.Errorf("own record %s: %d", k, got.Status)
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
			leaked("_include "+typ+":"+p.Code, ts.TolerantSearch(t, inc, tokA))
			for _, target := range p.Targets {
				if byType[target] == 0 {
					continue
				}
				rev := "/fhir/r4/" + target + "?_count=1000&_revinclude=" + url.QueryEscape(typ+":"+p.Code)
				leaked("_revinclude "+target+"←"+typ+":"+p.Code, ts.TolerantSearch(t, rev, tokA))
			}
		}
	}
}
