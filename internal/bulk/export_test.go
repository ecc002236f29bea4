package bulk_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store/storetest"
)

const allScopes = "system/*.$export system/*.rs"

// TestSystemExport runs a whole export: kick-off, poll, download, and
// checks every file against the store.
func TestSystemExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 3)
		e.serve(e.service(func(c *bulk.Config) { c.FileLimit = 100 }))
		tok := e.token("client-a", allScopes)
		m := e.wait(tok, e.kickoff(tok, "/fhir/r4/$export?_type=Patient,Observation,Condition"))
		got := e.download(tok, m)
		ctx := context.Background()
		for _, typ := range []string{"Patient", "Observation", "Condition"} {
			want, err := e.st.Count(ctx, typ)
			if err != nil {
				t.Fatal(err)
			}
			if n := int64(len(ids(t, got[typ]))); n != want || n == 0 {
				t.Errorf("%s: exported %d, stored %d", typ, n, want)
			}
		}
		if len(got) != 3 {
			t.Errorf("types exported: %d, want 3", len(got))
		}
		// Observations outnumber a file: they are split.
		files := 0
		for _, f := range m.Output {
			if f.Type == "Observation" {
				files++
			}
			if f.Count > 100 {
				t.Errorf("%s holds %d resources, over the limit", f.URL, f.Count)
			}
		}
		if files < 2 {
			t.Errorf("Observations in %d file(s); expected a split", files)
		}
		if !strings.HasSuffix(m.Request, "/fhir/r4/$export?_type=Patient,Observation,Condition") {
			t.Errorf("request: %q", m.Request)
		}
	})
}

// TestExportScopes: only what the token allows is exported.
func TestExportScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 1)
		e.serve(e.service(nil))
		tok := e.token("client-obs", "system/*.$export system/Observation.rs")
		m := e.wait(tok, e.kickoff(tok, "/fhir/r4/$export"))
		for _, f := range m.Output {
			if f.Type != "Observation" {
				t.Errorf("a token for Observations exported %s", f.Type)
			}
		}
		if len(e.download(tok, m)["Observation"]) == 0 {
			t.Error("no Observations exported")
		}
	})
}

// TestGroupExport: a Group export holds exactly the members' records.
func TestGroupExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 3)
		ctx := context.Background()
		res, err := e.st.Search(ctx, &search.Query{Type: "Patient", Count: 10})
		if err != nil || len(res.Resources) != 3 {
			t.Fatalf("patients: %v %v", res, err)
		}
		members := []string{res.Resources[0].ID, res.Resources[2].ID}
		group := fhirjson.Object{"resourceType": "Group", "type": "person", "actual": true, "member": []any{
			map[string]any{"entity": map[string]any{"reference": "Patient/" + members[0]}},
			map[string]any{"entity": map[string]any{"reference": "Patient/" + members[1]}},
			map[string]any{"entity": map[string]any{"reference": "Patient/" + res.Resources[1].ID}, "inactive": true},
		}}
		if _, _, err := e.st.Update(ctx, "Group", "panel", group, 0, search.Compartment{}); err != nil {
			t.Fatal(err)
		}
		e.serve(e.service(nil))
		tok := e.token("client-g", "system/Group.$export system/*.rs")
		m := e.wait(tok, e.kickoff(tok, "/fhir/r4/Group/panel/$export?_type=Patient,Observation,Encounter,Practitioner"))
		got := e.download(tok, m)
		patients := ids(t, got["Patient"])
		if len(patients) != 2 || !patients[members[0]] || !patients[members[1]] {
			t.Fatalf("Group export holds patients %v, want %v", patients, members)
		}
		for _, typ := range []string{"Observation", "Encounter"} {
			if len(got[typ]) == 0 {
				t.Errorf("no %s exported", typ)
			}
			for _, r := range got[typ] {
				subject, _ := r["subject"].(map[string]any)
				ref, _ := subject["reference"].(string)
				if !patients[strings.TrimPrefix(ref, "Patient/")] {
					t.Fatalf("%s/%v belongs to %s, not a member", typ, r["id"], ref)
				}
			}
		}
		// Supporting resources outside any compartment come whole.
		if n, _ := e.st.Count(ctx, "Practitioner"); int64(len(got["Practitioner"])) != n {
			t.Errorf("Practitioners: %d exported, %d stored", len(got["Practitioner"]), n)
		}
	})
}

// TestExportParameters covers _since (with deletions), _typeFilter and
// _elements.
func TestExportParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 2)
		e.serve(e.service(nil))
		ctx := context.Background()
		tok := e.token("client-p", allScopes)

		// _typeFilter: vital signs only, or (repeated) laboratory too.
		m := e.wait(tok, e.kickoff(tok, "/fhir/r4/$export?_type=Observation&_typeFilter="+url.QueryEscape("Observation?category=vital-signs")))
		vitals := e.download(tok, m)["Observation"]
		all, _ := e.st.Count(ctx, "Observation")
		if len(vitals) == 0 || int64(len(vitals)) >= all {
			t.Fatalf("vital signs: %d of %d", len(vitals), all)
		}
		for _, r := range vitals {
			if !hasCategory(r, "vital-signs") {
				t.Fatalf("Observation/%v is not a vital sign", r["id"])
			}
		}
		m = e.wait(tok, e.kickoff(tok, "/fhir/r4/$export?_type=Observation&_typeFilter="+url.QueryEscape("Observation?category=vital-signs")+
			"&_typeFilter="+url.QueryEscape("Observation?category=laboratory")))
		either := e.download(tok, m)["Observation"]
		if len(either) <= len(vitals) {
			t.Fatalf("vital signs or laboratory: %d, vital signs alone %d", len(either), len(vitals))
		}
		for _, r := range either {
			if !hasCategory(r, "vital-signs") && !hasCategory(r, "laboratory") {
				t.Fatalf("Observation/%v matches neither filter", r["id"])
			}
		}

		// _elements: only the named elements, tagged SUBSETTED.
		m = e.wait(tok, e.kickoff(tok, "/fhir/r4/$export?_type=Patient,Observation&_elements=status,Patient.gender"))
		got := e.download(tok, m)
		for typ, want := range map[string][]string{"Patient": {"resourceType", "id", "meta", "gender"}, "Observation": {"resourceType", "id", "meta", "status"}} {
			for _, r := range got[typ] {
				var keys []string
				for k := range r {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				w := slices.Clone(want)
				slices.Sort(w)
				if !slices.Equal(keys, w) {
					t.Fatalf("%s subset holds %v, want %v", typ, keys, w)
				}
				if !subsetted(r) {
					t.Fatalf("%s/%v is not tagged SUBSETTED", typ, r["id"])
				}
			}
		}

		// _since: a change and a deletion after it, and nothing else.
		since := e.clock.Now()
		e.clock.Set(since.Add(time.Minute))
		obs := got["Observation"][0]["id"].(string)
		cur, err := e.st.Read(ctx, "Observation", obs, search.Compartment{})
		if err != nil {
			t.Fatal(err)
		}
		o, _ := fhirjson.Decode(cur.Body)
		o["status"] = "amended"
		if _, _, err := e.st.Update(ctx, "Observation", obs, o, 0, search.Compartment{}); err != nil {
			t.Fatal(err)
		}
		gone := got["Observation"][1]["id"].(string)
		if err := e.st.Delete(ctx, "Observation", gone, search.Compartment{}); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(since.Add(2 * time.Minute))
		m = e.wait(tok, e.kickoff(tok, "/fhir/r4/$export?_type=Observation,Patient&_since="+url.QueryEscape(since.Format(time.RFC3339Nano))))
		got = e.download(tok, m)
		if len(got["Observation"]) != 1 || got["Observation"][0]["id"] != obs || got["Observation"][0]["status"] != "amended" || len(got["Patient"]) != 0 {
			t.Fatalf("_since exported %v", got)
		}
		if len(m.Deleted) != 1 || m.Deleted[0].Type != "Bundle" || m.Deleted[0].Count != 1 {
			t.Fatalf("deleted: %+v", m.Deleted)
		}
		resp := e.do("GET", m.Deleted[0].URL, tok, nil)
		if body := string(readAll(t, resp)); resp.StatusCode != 200 || !strings.Contains(body, `"method":"DELETE","url":"Observation/`+gone+`"`) {
			t.Fatalf("deleted file: %d %s", resp.StatusCode, body)
		}
	})
}

func hasCategory(r map[string]any, code string) bool {
	cats, _ := r["category"].([]any)
	for _, c := range cats {
		cc, _ := c.(map[string]any)
		codings, _ := cc["coding"].([]any)
		for _, x := range codings {
			if xm, _ := x.(map[string]any); xm["code"] == code {
				return true
			}
		}
	}
	return false
}

func subsetted(r map[string]any) bool {
	meta, _ := r["meta"].(map[string]any)
	tags, _ := meta["tag"].([]any)
	for _, t := range tags {
		if tm, _ := t.(map[string]any); tm["code"] == "SUBSETTED" {
			return true
		}
	}
	return false
}

// TestRunExport is the command line's export into a directory.
func TestRunExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 1)
		dir := t.TempDir()
		var calls int
		m, err := bulk.RunExport(context.Background(), e.st, bulk.ExportOptions{Types: []string{"Patient", "observation"}, FileLimit: 50, Now: e.clock.Now},
			dir, func(bulk.Progress) { calls++ })
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, f := range m.Output {
			b, err := os.ReadFile(filepath.Join(dir, f.URL))
			if err != nil {
				t.Fatal(err)
			}
			if n := int64(strings.Count(string(b), "\n")); n != f.Count {
				t.Fatalf("%s: %d lines, manifest %d", f.URL, n, f.Count)
			}
			total += f.Count
		}
		p, _ := e.st.Count(context.Background(), "Patient")
		o, _ := e.st.Count(context.Background(), "Observation")
		if total != p+o || calls == 0 {
			t.Fatalf("exported %d, stored %d; %d progress calls", total, p+o, calls)
		}
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			t.Fatal(err)
		}
		if _, err := bulk.RunExport(context.Background(), e.st, bulk.ExportOptions{Types: []string{"Nonsense"}}, dir, nil); err == nil {
			t.Fatal("an unknown type was accepted")
		}
	})
}

var _ = http.StatusOK

// TestPatientExport: a Patient export with the patient parameter (POST
// Parameters) holds that patient's records only, with the Provenance that
// attests them.
func TestPatientExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 2)
		ctx := context.Background()
		res, err := e.st.Search(ctx, &search.Query{Type: "Patient", Count: 10})
		if err != nil || len(res.Resources) != 2 {
			t.Fatalf("patients: %v %v", res, err)
		}
		pid := res.Resources[1].ID
		e.serve(e.service(nil))
		tok := e.token("client-pt", "system/Patient.$export system/*.rs")
		body := `{"resourceType":"Parameters","parameter":[
			{"name":"_type","valueString":"Patient,Condition"},
			{"name":"patient","valueReference":{"reference":"Patient/` + pid + `"}},
			{"name":"includeAssociatedData","valueString":"LatestProvenanceResources"}]}`
		resp := e.do("POST", "/fhir/r4/Patient/$export", tok, []byte(body),
			"Content-Type", "application/fhir+json", "Accept", "application/fhir+json", "Prefer", "respond-async")
		if b := readAll(t, resp); resp.StatusCode != 202 {
			t.Fatalf("kick-off: %d %s", resp.StatusCode, b)
		}
		got := e.download(tok, e.wait(tok, resp.Header.Get("Content-Location")))
		if p := ids(t, got["Patient"]); len(p) != 1 || !p[pid] {
			t.Fatalf("patients exported: %v", p)
		}
		conditions := ids(t, got["Condition"])
		if len(conditions) == 0 {
			t.Fatal("no Conditions exported")
		}
		for _, c := range got["Condition"] {
			if ref := c["subject"].(map[string]any)["reference"]; ref != "Patient/"+pid {
				t.Fatalf("Condition/%v belongs to %v", c["id"], ref)
			}
		}
		// Every Provenance exported attests something of the patient's, and
		// those attesting the patient's Conditions are all there.
		mine := map[string]bool{}
		all, err := e.st.Search(ctx, &search.Query{Type: "Provenance", Count: 1000})
		if err != nil {
			t.Fatal(err)
		}
		ours := 0
		for _, r := range all.Resources {
			o, _ := fhirjson.Decode(r.Body)
			for _, tg := range o["target"].([]any) {
				ref, _ := tg.(map[string]any)["reference"].(string)
				if id, ok := strings.CutPrefix(ref, "Condition/"); ok && conditions[id] {
					mine[r.ID] = true
				}
			}
		}
		exported := ids(t, got["Provenance"])
		for id := range mine {
			if !exported[id] {
				t.Errorf("Provenance/%s attests the patient's Condition but is not exported", id)
			}
			ours++
		}
		if ours == 0 || len(exported) >= len(all.Resources) {
			t.Fatalf("Provenance: %d exported of %d stored, %d attest the patient's Conditions", len(exported), len(all.Resources), ours)
		}
	})
}
