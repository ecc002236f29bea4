package fhirload_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhirload"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

var refRE = regexp.MustCompile(`"reference":"([A-Za-z]+)/([A-Za-z0-9.\-]+)"`)

// writeSyntheaShaped writes generated records as Synthea does: a
// hospital Bundle of the shared resources, then one transaction Bundle per
// patient, entries POSTed with urn:uuid fullUrls and every reference to an
// entry written as its urn:uuid. It returns the resources by Type/id.
func writeSyntheaShaped(t testing.TB, dir string, patients int) map[string]bool {
	t.Helper()
	var files [][]seed.Resource
	var cur []seed.Resource
	shared := true
	_, err := seed.Generate(context.Background(), seed.Options{Patients: patients, Seed: 7, Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, func(r seed.Resource) error {
		if r.Type == "Patient" || (shared && r.Type != "Practitioner" && r.Type != "Organization" && r.Type != "Location" && r.Type != "Medication" && r.Type != "PractitionerRole" && r.Type != "HealthcareService" && r.Type != "Schedule" && r.Type != "Slot") {
			if len(cur) > 0 {
				files = append(files, cur)
			}
			cur, shared = nil, false
		}
		cur = append(cur, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, cur)
	all := map[string]bool{}
	for _, f := range files {
		for _, r := range f {
			all[r.Type+"/"+r.ID] = true
		}
	}
	for n, f := range files {
		var b strings.Builder
		b.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
		for i, r := range f {
			if i > 0 {
				b.WriteByte(',')
			}
			body := refRE.ReplaceAllStringFunc(string(r.Body), func(m string) string {
				sub := refRE.FindStringSubmatch(m)
				if all[sub[1]+"/"+sub[2]] {
					return `"reference":"urn:uuid:` + sub[2] + `"`
				}
				return m
			})
			fmt.Fprintf(&b, `{"fullUrl":"urn:uuid:%s","resource":%s,"request":{"method":"POST","url":"%s"}}`, r.ID, body, r.Type)
		}
		b.WriteString(`]}`)
		name := fmt.Sprintf("patient%04d.json", n)
		if n == 0 {
			name = "hospitalInformation1.json"
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return all
}

// TestLoadSyntheaShapedBundles: every resource is stored under the id the
// Bundle gave it, with every urn:uuid reference resolved to Type/id.
func TestLoadSyntheaShapedBundles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		st := storetest.Open(t, dialect, store.Options{})
		dir := t.TempDir()
		all := writeSyntheaShaped(t, dir, 3)
		sum, err := (&fhirload.Loader{Store: st}).Load(context.Background(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Failed) > 0 || sum.Resources != int64(len(all)) {
			t.Fatalf("loaded %d of %d resources, failed %v", sum.Resources, len(all), sum.Failed)
		}
		for key := range all {
			typ, id, _ := strings.Cut(key, "/")
			r, err := st.Read(context.Background(), typ, id, search.Compartment{})
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			if strings.Contains(string(r.Body), "urn:uuid:") {
				t.Fatalf("%s keeps an unresolved reference: %s", key, r.Body)
			}
		}
	})
}

// TestLoadGoesOnPastBadFiles: a bad file is named with its reason and
// leaves nothing behind; the good ones load.
func TestLoadGoesOnPastBadFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		st := storetest.Open(t, dialect, store.Options{})
		dir := t.TempDir()
		write := func(name, body string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		entry := func(full, res string) string {
			return `{"fullUrl":"` + full + `","resource":` + res + `,"request":{"method":"POST","url":"X"}}`
		}
		write("a-good.json", `{"resourceType":"Bundle","type":"transaction","entry":[`+
			entry("urn:uuid:1", `{"resourceType":"Patient"}`)+`,`+
			entry("urn:uuid:2", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:1"}}`)+`]}`)
		write("b-invalid.json", `{"resourceType":"Bundle","type":"transaction","entry":[`+
			entry("urn:uuid:3", `{"resourceType":"Patient","id":"bad1"}`)+`,`+
			entry("urn:uuid:4", `{"resourceType":"Patient","id":"bad2","birthDate":"not a date"}`)+`]}`)
		write("c-unresolved.json", `{"resourceType":"Bundle","type":"batch","entry":[`+
			entry("urn:uuid:5", `{"resourceType":"Observation","id":"bad3","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:nowhere"}}`)+`]}`)
		write("d-delete.json", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/x"},"resource":{"resourceType":"Patient","id":"bad4"}}]}`)
		write("e-broken.json", `{"resourceType":"Bundle",`)
		write("f-good.ndjson", `{"resourceType":"Patient","id":"nd1"}`+"\n\n"+`{"resourceType":"Patient","id":"nd2"}`+"\n")
		write("g-searchset.json", `{"resourceType":"Bundle","type":"searchset"}`)
		sum, err := (&fhirload.Loader{Store: st}).Load(context.Background(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Resources != 4 || sum.Files != 2 {
			t.Errorf("loaded %d resources from %d files, want 4 from 2", sum.Resources, sum.Files)
		}
		want := map[string]string{
			"b-invalid.json":    "Bundle.entry[1]",
			"c-unresolved.json": "urn:uuid:nowhere",
			"d-delete.json":     "DELETE",
			"e-broken.json":     "",
			"g-searchset.json":  "searchset",
		}
		got := map[string]string{}
		for _, f := range sum.Failed {
			got[filepath.Base(f.Path)] = f.Err.Error()
		}
		for name, reason := range want {
			if msg, ok := got[name]; !ok || !strings.Contains(msg, reason) {
				t.Errorf("%s: failure %q, want one naming %q", name, msg, reason)
			}
		}
		if len(got) != len(want) {
			t.Errorf("failures %v", got)
		}
		for _, id := range []string{"bad1", "bad2", "bad3", "bad4"} {
			typ := "Patient"
			if id == "bad3" {
				typ = "Observation"
			}
			if _, err := st.Read(context.Background(), typ, id, search.Compartment{}); err == nil {
				t.Errorf("%s/%s of a failed file was stored", typ, id)
			}
		}
		// The good Bundle's Observation names the Patient by its new id.
		obs, err := st.Search(context.Background(), &search.Query{Type: "Observation", Count: 10})
		if err != nil || len(obs.Resources) != 1 {
			t.Fatalf("observations: %v %v", obs, err)
		}
		var o struct{ Subject struct{ Reference string } }
		json.Unmarshal(obs.Resources[0].Body, &o)
		if _, err := st.Read(context.Background(), "Patient", strings.TrimPrefix(o.Subject.Reference, "Patient/"), search.Compartment{}); err != nil || !strings.HasPrefix(o.Subject.Reference, "Patient/") {
			t.Errorf("the subject %q is not the loaded Patient: %v", o.Subject.Reference, err)
		}
	})
}

// BenchmarkLoadSyntheaShaped loads generated Synthea-shaped Bundles into an
// empty SQLite store; resources/s is the figure in docs/performance.md.
func BenchmarkLoadSyntheaShaped(b *testing.B) {
	dir := b.TempDir()
	all := writeSyntheaShaped(b, dir, 20)
	defer debug.SetGCPercent(debug.SetGCPercent(fhirload.GCPercent)) // as emp import runs
	b.ResetTimer()
	var wall, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := storetest.Open(b, "sqlite", store.Options{})
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		sum, err := (&fhirload.Loader{Store: st}).Load(context.Background(), []string{dir})
		if err != nil || len(sum.Failed) > 0 || sum.Resources != int64(len(all)) {
			b.Fatalf("%v %v", err, sum)
		}
		wall, cpu = wall+time.Since(start), cpu+cpuTime()-cpu0
	}
	// Over every load of the run. On a shared machine the wall clock
	// measures the neighbours too; the process's CPU time says what the
	// load itself costs.
	b.ReportMetric(float64(len(all)*b.N)/wall.Seconds(), "resources/s")
	b.ReportMetric(float64(len(all)*b.N)/cpu.Seconds(), "resources/cpu-s")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
