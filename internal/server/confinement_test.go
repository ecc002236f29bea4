package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// The two patients of the confinement tests: the token is A's, B is the
// other patient whose records must never show.
const (
	confA = "conf-a"
	confB = "conf-b"
)

// linkedTo builds a resource of type rtype that the definitions tie to the
// patient: through its first compartment parameter, its first patient
// link parameter or element (spec.ConfinementOf), or as the content of a
// container (a Bundle entry). The body is not a valid resource of the type
// (required elements are missing): it is written to the store directly, to
// exercise the confinement of every type whatever its other elements.
// ok is false for Shared types.
func linkedTo(rtype, id, patient string) (map[string]any, bool) {
	res := map[string]any{"resourceType": rtype, "id": id}
	ref := map[string]any{"reference": "Patient/" + patient}
	switch spec.ConfinementOf(rtype) {
	case spec.Shared:
		return nil, false
	case spec.InCompartment:
		if rtype == "Patient" {
			res["id"] = patient
			return res, true
		}
		return res, setParamPath(res, rtype, spec.PatientCompartmentParams(rtype), ref)
	}
	if setParamPath(res, rtype, spec.PatientLinkParams(rtype), ref) {
		return res, true
	}
	if els := spec.PatientLinkElements(rtype); len(els) > 0 {
		setDotted(res, els[0], ref)
		return res, true
	}
	if cs := spec.ResourceContainers(rtype); len(cs) > 0 {
		inner := map[string]any{"resourceType": "Observation", "id": id + "-inner", "status": "final",
			"code": map[string]any{"text": "x"}, "subject": ref}
		setDotted(res, cs[0], inner)
		return res, true
	}
	return nil, false
}

// setParamPath sets ref at the first Reference path of the first of the
// parameters that may point at a Patient.
func setParamPath(res map[string]any, rtype string, codes []string, ref map[string]any) bool {
	for _, code := range codes {
		sp, ok := spec.LookupSearchParam(rtype, code)
		if ok && len(sp.RowsOf) > 0 {
			sp, ok = spec.LookupSearchParam(rtype, sp.RowsOf[0])
		}
		if !ok {
			continue
		}
		for _, p := range sp.Paths {
			if p.Type != "Reference" || len(p.RefTypes) > 0 && !slices.Contains(p.RefTypes, "Patient") {
				continue
			}
			cur := res
			for i, st := range p.Steps {
				if st.WhereField != "" {
					continue // a where() on a reference path: skip this path
				}
				if i == len(p.Steps)-1 {
					cur[st.Name] = ref
					return true
				}
				next, _ := cur[st.Name].(map[string]any)
				if next == nil {
					next = map[string]any{}
					cur[st.Name] = next
				}
				cur = next
			}
		}
	}
	return false
}

func setDotted(res map[string]any, path string, v any) {
	names := strings.Split(path, ".")
	cur := res
	for _, n := range names[:len(names)-1] {
		next := map[string]any{}
		cur[n] = next
		cur = next
	}
	cur[names[len(names)-1]] = v
}

// TestConfinementOfEveryType writes, for every R4 type that can hold a
// patient's data, one resource tied to patient A and one tied to patient B,
// and checks through the FHIR face that A's patient token sees its own and
// never B's: read, vread, instance and type history, search, search by _id,
// _include and _revinclude through the linking parameter, a chain through
// it, _has, and a Patient-level export. Shared types are read by anyone
// with the scope and written by no patient token.
func TestConfinementOfEveryType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		ctx := context.Background()
		for _, p := range []struct{ id, family string }{{confA, "Alpha"}, {confB, "Bravo"}} {
			body := map[string]any{"resourceType": "Patient", "id": p.id, "name": []any{map[string]any{"family": p.family}}}
			if _, _, err := ts.app.Store.Update(ctx, "Patient", p.id, body, 0, search.Compartment{}); err != nil {
				t.Fatal(err)
			}
		}
		var confined []string
		for _, rtype := range spec.ResourceTypes() {
			if rtype == "Patient" {
				continue
			}
			for _, owner := range []string{confA, confB} {
				res, ok := linkedTo(rtype, "r-"+owner, owner)
				if !ok {
					continue
				}
				if _, _, err := ts.app.Store.Update(ctx, rtype, "r-"+owner, res, 0, search.Compartment{}); err != nil {
					t.Fatalf("%s: %v", rtype, err)
				}
				if owner == confA {
					confined = append(confined, rtype)
				}
			}
		}
		if len(confined) < 80 {
			t.Fatalf("only %d types tied to a patient", len(confined))
		}
		tokA := ts.token("patient/*.rs", confA)
		for _, rtype := range append([]string{"Patient"}, confined...) {
			mine, theirs := "r-"+confA, "r-"+confB
			if rtype == "Patient" {
				mine, theirs = confA, confB
			}
			t.Run(rtype, func(t *testing.T) {
				checkTypeConfined(t, ts, tokA, rtype, mine, theirs)
			})
		}
		t.Run("export", func(t *testing.T) {
			checkExportConfined(t, ts, confined)
		})
		t.Run("everything and system history", func(t *testing.T) {
			checkEverythingConfined(t, ts, tokA, confined)
		})
		t.Run("shared types", func(t *testing.T) {
			checkSharedTypes(t, ts)
		})
	})
}

func checkTypeConfined(t *testing.T, ts *testServer, tok, rtype, mine, theirs string) {
	base := "/fhir/r4/" + rtype
	if r := ts.do("GET", base+"/"+mine, tok, ""); r.status != 200 {
		t.Errorf("read own %s: %d %.200s", mine, r.status, r.body)
	}
	for _, path := range []string{base + "/" + theirs, base + "/" + theirs + "/_history/1"} {
		if r := ts.do("GET", path, tok, ""); r.status == 200 || r.status >= 500 {
			t.Errorf("GET %s: %d %.200s", path, r.status, r.body)
		}
	}
	shows := func(what, path string) []string {
		t.Helper()
		var ids []string
		for _, r := range ts.TolerantSearch(t, path, tok) {
			ids = append(ids, r.Key)
		}
		if slices.Contains(ids, rtype+"/"+theirs) || slices.Contains(ids, "Patient/"+confB) {
			t.Errorf("%s (%s) shows the other patient's records: %v", what, path, ids)
		}
		return ids
	}
	if ids := shows("search", base+"?_count=100"); !slices.Contains(ids, rtype+"/"+mine) {
		t.Errorf("search %s does not show the patient's own %s: %v", rtype, mine, ids)
	}
	shows("search by _id", base+"?_id="+theirs)
	shows("type history", base+"/_history?_count=100")
	shows("instance history", base+"/"+theirs+"/_history")
	for _, p := range spec.SearchParams(rtype) {
		if p.Type != spec.ParamReference || !slices.Contains(p.Targets, "Patient") || len(p.Paths) == 0 {
			continue
		}
		shows("_include", base+"?_count=100&_include="+url.QueryEscape(rtype+":"+p.Code))
		shows("_revinclude", "/fhir/r4/Patient?_revinclude="+url.QueryEscape(rtype+":"+p.Code))
		shows("chain", base+"?"+url.QueryEscape(p.Code+":Patient.family")+"=Bravo")
		shows("_has", "/fhir/r4/Patient?"+url.QueryEscape("_has:"+rtype+":"+p.Code+":_id")+"="+theirs)
	}
}

// checkExportConfined runs a Patient-level export of every confined type
// with A's token and finds nothing of B's in the files.
func checkExportConfined(t *testing.T, ts *testServer, types []string) {
	tok := ts.token("patient/*.rs patient/*.$export", confA)
	// Binary, Bundle and Parameters are not exported (not records).
	types = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return t == "Binary" || t == "Bundle" || t == "Parameters" })
	manifest := ts.export(t, "/fhir/r4/Patient/$export?_type="+strings.Join(types, ","), tok)
	seen := map[string]bool{}
	for _, f := range manifest.Output {
		r := ts.do("GET", strings.TrimPrefix(f.URL, ts.app.BaseURL), tok, "")
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var head struct{ ResourceType, ID string }
			json.Unmarshal(sc.Bytes(), &head)
			if head.ID == "r-"+confB || head.ID == confB {
				t.Errorf("export holds %s/%s, the other patient's", head.ResourceType, head.ID)
			}
			seen[head.ResourceType] = true
		}
	}
	for _, want := range []string{"Observation", "Device", "Contract", "VerificationResult"} {
		if !seen[want] {
			t.Errorf("the export has none of the patient's own %s records", want)
		}
	}
}

// checkSharedTypes: a Shared type is read by a patient's token, and no
// patient scope writes it.
func checkSharedTypes(t *testing.T, ts *testServer) {
	admin := ts.token("user/*.cruds", "")
	if r := ts.do("PUT", "/fhir/r4/Practitioner/pr1", admin, `{"resourceType":"Practitioner","id":"pr1","name":[{"family":"Who"}]}`); r.status != 201 {
		t.Fatalf("admin put: %d %s", r.status, r.body)
	}
	tok := ts.token("patient/*.cruds", confA)
	if r := ts.do("GET", "/fhir/r4/Practitioner/pr1", tok, ""); r.status != 200 {
		t.Errorf("patient read of a Practitioner: %d", r.status)
	}
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/fhir/r4/Practitioner/pr1", `{"resourceType":"Practitioner","id":"pr1","name":[{"family":"Changed"}]}`},
		{"DELETE", "/fhir/r4/Practitioner/pr1", ""},
		{"POST", "/fhir/r4/Medication", `{"resourceType":"Medication","code":{"text":"x"}}`},
	} {
		if r := ts.do(c.method, c.path, tok, c.body); r.status != 403 {
			t.Errorf("%s %s with patient scopes: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	if r := ts.do("GET", "/fhir/r4/Practitioner/pr1", admin, ""); !strings.Contains(string(r.body), "Who") {
		t.Errorf("the Practitioner changed: %s", r.body)
	}
}

// checkEverythingConfined: A's $everything and the system history show
// A's records of every confined type and nothing of B's; B's $everything
// is not found for A.
func checkEverythingConfined(t *testing.T, ts *testServer, tok string, types []string) {
	for _, path := range []string{"/fhir/r4/Patient/" + confA + "/$everything?_count=1000", "/fhir/r4/_history?_count=1000"} {
		seen := map[string]bool{}
		for _, r := range ts.TolerantSearch(t, path, tok) {
			if r.ID == "r-"+confB || r.ID == confB {
				t.Errorf("%s shows %s, the other patient's", path, r.Key)
			}
			seen[r.Key] = true
		}
		for _, rtype := range types {
			if !seen[rtype+"/r-"+confA] {
				t.Errorf("%s lacks the patient's own %s", path, rtype)
			}
		}
	}
	if r := ts.do("GET", "/fhir/r4/Patient/"+confB+"/$everything", tok, ""); r.status != 404 {
		t.Errorf("the other patient's $everything: %d %.200s", r.status, r.body)
	}
}
