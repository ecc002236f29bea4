package fhirload_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhirload"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// loaded is what a load left: its summary and every stored resource, in
// the order they were written.
type loaded struct {
	summary string
	keys    []string          // Type/id, in write order
	bodies  map[string]string // by Type/id
}

// loadWith loads dir into a new store with the given number of workers;
// the clock and the source of new ids are the same for every call.
func loadWith(t *testing.T, dialect, dir string, workers int) loaded {
	t.Helper()
	st := storetest.Open(t, dialect, store.Options{
		Now:  func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) },
		Rand: rand.NewChaCha8([32]byte{42}),
	})
	ctx := context.Background()
	sum, err := (&fhirload.Loader{Store: st, Workers: workers}).Load(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range sum.Failed {
		failed = append(failed, filepath.Base(f.Path)+": "+f.Err.Error())
	}
	out := loaded{
		summary: fmt.Sprintf("%d resources, %d files, %d kept, failed %q", sum.Resources, sum.Files, sum.Kept, failed),
		bodies:  map[string]string{},
	}
	q := store.HistoryQuery{Count: 1000}
	for {
		page, err := st.History(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			key := v.Type + "/" + v.ID
			out.keys = append(out.keys, key)
			out.bodies[key] = string(v.Body)
		}
		if !page.More {
			break
		}
		q.Before, q.BeforeRID, q.BeforeVer = page.NextBefore, page.NextBeforeRID, page.NextBeforeVer
	}
	slices.Reverse(out.keys)
	return out
}

var storedRefRE = regexp.MustCompile(`"reference":"([A-Za-z]+/[^"]+)"`)

// TestLoadSameWhateverTheWorkers: files read, checked and prepared on
// several goroutines leave the store exactly as one goroutine does, the
// same resources under the same ids (new ones included) written in the
// same order, with the same files failed and the same shared copies kept;
// and a file retried at the end keeps the ids that files read in between
// were given for its entries.
func TestLoadSameWhateverTheWorkers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dir := t.TempDir()
		writeSyntheaShaped(t, dir, 4)
		write := func(name, body string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		entry := func(full, res string) string {
			return `{"fullUrl":"` + full + `","resource":` + res + `,"request":{"method":"POST","url":"X"}}`
		}
		bundle := func(entries ...string) string {
			return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
		}
		// Waits for z-late.json; its Patient has no id, and the NDJSON
		// file read before the retry refers to it.
		write("a-early.json", bundle(
			entry("urn:uuid:early-p", `{"resourceType":"Patient","name":[{"family":"Early"}]}`),
			entry("urn:uuid:early-o", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:early-p"},"performer":[{"reference":"urn:uuid:late-pr"}]}`)))
		write("b-bad.json", bundle(
			entry("urn:uuid:bad-1", `{"resourceType":"Patient","id":"bad1"}`),
			entry("urn:uuid:bad-2", `{"resourceType":"Patient","id":"bad2","birthDate":"not a date"}`),
			entry("urn:uuid:bad-3", `{"resourceType":"Patient","id":"bad3","gender":"neither"}`)))
		write("c-shared.json", bundle(entry("urn:uuid:org-c", `{"resourceType":"Organization","id":"org-x","name":"First"}`)))
		write("d-shared.json", bundle(
			entry("urn:uuid:org-d", `{"resourceType":"Organization","id":"org-x","name":"Second"}`),
			entry("urn:uuid:d-p", `{"resourceType":"Patient","managingOrganization":{"reference":"urn:uuid:org-c"}}`)))
		write("e.ndjson", `{"resourceType":"Observation","status":"final","code":{"text":"y"},"subject":{"reference":"urn:uuid:early-p"}}`+"\n"+
			`{"resourceType":"Patient","id":"nd1"}`+"\n")
		write("z-late.json", bundle(entry("urn:uuid:late-pr", `{"resourceType":"Practitioner"}`)))

		one := loadWith(t, dialect, dir, 1)
		if !strings.Contains(one.summary, "1 kept") || !strings.Contains(one.summary, `"b-bad.json: Bundle.entry[1]`) {
			t.Fatalf("one worker: %s", one.summary)
		}
		// Every reference names a stored resource: the Observation of the
		// NDJSON file names the retried Bundle's Patient.
		for key, body := range one.bodies {
			for _, m := range storedRefRE.FindAllStringSubmatch(body, -1) {
				if _, ok := one.bodies[m[1]]; !ok {
					t.Errorf("%s refers to %s, which is not stored", key, m[1])
				}
			}
		}
		for _, key := range []string{"Patient/bad1", "Patient/bad2", "Patient/bad3"} {
			if _, ok := one.bodies[key]; ok {
				t.Errorf("%s of a failed file was stored", key)
			}
		}
		if !strings.Contains(one.bodies["Organization/org-x"], "First") {
			t.Errorf("the shared copy kept is %s", one.bodies["Organization/org-x"])
		}
		for _, workers := range []int{2, 4, 16} {
			got := loadWith(t, dialect, dir, workers)
			if got.summary != one.summary {
				t.Errorf("%d workers: %s\none worker: %s", workers, got.summary, one.summary)
			}
			if !slices.Equal(got.keys, one.keys) {
				t.Errorf("%d workers wrote %d resources, one worker %d, or in another order", workers, len(got.keys), len(one.keys))
			}
			for key, body := range one.bodies {
				if got.bodies[key] != body {
					t.Errorf("%d workers: %s is %s, one worker: %s", workers, key, got.bodies[key], body)
				}
			}
		}
	})
}
