package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var testNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// collect generates a data set into memory.
func collect(t testing.TB, opt Options) ([]Resource, Stats) {
	t.Helper()
	var out []Resource
	st, err := Generate(context.Background(), opt, func(r Resource) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return out, st
}

// decoded is a generated resource parsed as the store will parse it.
type decoded struct {
	Resource
	obj map[string]any
}

func decodeAll(t testing.TB, rs []Resource) []decoded {
	t.Helper()
	out := make([]decoded, len(rs))
	for i, r := range rs {
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s/%s: invalid JSON: %v\n%s", r.Type, r.ID, err, r.Body)
		}
		if dec.More() {
			t.Fatalf("%s/%s: trailing data after the object", r.Type, r.ID)
		}
		out[i] = decoded{r, m}
	}
	return out
}

// walk calls fn for every value in a decoded JSON tree with its path.
func walk(path string, v any, fn func(path string, v any)) {
	fn(path, v)
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walk(path+"."+k, e, fn)
		}
	case []any:
		for _, e := range x {
			walk(path, e, fn)
		}
	}
}

func TestDeterministic(t *testing.T) {
	opt := Options{Patients: 15, Seed: 42, Now: testNow}
	a, _ := collect(t, opt)
	b, _ := collect(t, opt)
	if len(a) != len(b) {
		t.Fatalf("same options gave %d and %d resources", len(a), len(b))
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].ID != b[i].ID || !bytes.Equal(a[i].Body, b[i].Body) {
			t.Fatalf("resource %d differs between runs:\n%s\n%s", i, a[i].Body, b[i].Body)
		}
	}

	opt.Seed = 43
	c, _ := collect(t, opt)
	ids := map[string]bool{}
	for _, r := range a {
		ids[r.ID] = true
	}
	shared, patients := 0, 0
	for _, r := range c {
		if ids[r.ID] {
			shared++
		}
		if r.Type == "Patient" {
			patients++
			for _, o := range a {
				if o.Type == "Patient" && bytes.Equal(o.Body[bytes.IndexByte(o.Body, ','):], r.Body[bytes.IndexByte(r.Body, ','):]) {
					t.Errorf("seeds 42 and 43 produced the same patient: %s", r.Body)
				}
			}
		}
	}
	if shared != 0 {
		t.Errorf("seeds 42 and 43 share %d ids", shared)
	}
	if patients != 15 {
		t.Errorf("seed 43 gave %d patients, want 15", patients)
	}

	opt.Seed, opt.Now = 42, testNow.AddDate(0, 0, 1)
	d, _ := collect(t, opt)
	if len(d) == len(a) && bytes.Equal(d[len(d)-2].Body, a[len(a)-2].Body) {
		t.Errorf("a different Now gave the same data")
	}
}

// A patient's records depend only on the seed and the patient's position,
// so a smaller data set is a prefix of a larger one (up to the Groups).
func TestSmallerSetIsPrefix(t *testing.T) {
	small, _ := collect(t, Options{Patients: 4, Seed: 7, Now: testNow})
	large, _ := collect(t, Options{Patients: 9, Seed: 7, Now: testNow})
	n := len(small) - 1 // the last resource is the Group
	if small[n].Type != "Group" {
		t.Fatalf("last resource is %s, want Group", small[n].Type)
	}
	for i := 0; i < n; i++ {
		if !bytes.Equal(small[i].Body, large[i].Body) {
			t.Fatalf("resource %d differs:\n%s\n%s", i, small[i].Body, large[i].Body)
		}
	}
}

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestResourcesAreWellFormed(t *testing.T) {
	rs, st := collect(t, Options{Patients: 60, Seed: 1, Now: testNow})
	if st.Resources != len(rs) {
		t.Errorf("Stats.Resources = %d, emitted %d", st.Resources, len(rs))
	}
	byType := map[string]int{}
	seen := map[string]bool{}
	lastID := map[string]string{}
	for _, d := range decodeAll(t, rs) {
		byType[d.Type]++
		key := d.Type + "/" + d.ID
		if seen[key] {
			t.Errorf("%s emitted twice", key)
		}
		seen[key] = true
		if !uuidV7.MatchString(d.ID) {
			t.Errorf("%s: id is not a lowercase v7 UUID", key)
		}
		// The ids of a type ascend as they are emitted, so a load appends
		// to the store's (type, id) index.
		if d.ID <= lastID[d.Type] {
			t.Errorf("%s follows %s/%s", key, d.Type, lastID[d.Type])
		}
		lastID[d.Type] = d.ID
		if d.obj["resourceType"] != d.Type || d.obj["id"] != d.ID {
			t.Errorf("%s: body says %v/%v", key, d.obj["resourceType"], d.obj["id"])
		}
		prefix := fmt.Sprintf(`{"resourceType":%q,"id":%q,`, d.Type, d.ID)
		if !bytes.HasPrefix(d.Body, []byte(prefix)) {
			t.Errorf("%s: body does not start with resourceType and id: %.80s", key, d.Body)
		}
		if _, ok := d.obj["meta"]; ok {
			t.Errorf("%s: has meta", key)
		}
		if !utf8.Valid(d.Body) {
			t.Errorf("%s: not valid UTF-8", key)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, d.Body); err != nil || compact.Len() != len(d.Body) {
			t.Errorf("%s: body is not compact JSON", key)
		}
		walk(d.Type, d.obj, func(path string, v any) {
			switch x := v.(type) {
			case string:
				if strings.TrimSpace(x) == "" {
					t.Errorf("%s: empty string at %s", key, path)
				}
			case []any:
				if len(x) == 0 {
					t.Errorf("%s: empty array at %s", key, path)
				}
			case map[string]any:
				if len(x) == 0 {
					t.Errorf("%s: empty object at %s", key, path)
				}
			case json.Number:
				if strings.ContainsAny(string(x), "eE") {
					t.Errorf("%s: number in exponent form at %s: %s", key, path, x)
				}
			case nil:
				t.Errorf("%s: null at %s", key, path)
			}
		})
	}
	for typ, n := range st.ByType {
		if byType[typ] != n {
			t.Errorf("Stats.ByType[%s] = %d, emitted %d", typ, n, byType[typ])
		}
	}
}

func TestReferencesPointBackwards(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 40, Seed: 3, Now: testNow})
	emitted := map[string]bool{}
	n := 0
	for _, d := range decodeAll(t, rs) {
		key := d.Type + "/" + d.ID
		walk(d.Type, d.obj, func(path string, v any) {
			m, ok := v.(map[string]any)
			if !ok {
				return
			}
			ref, ok := m["reference"].(string)
			if !ok {
				return
			}
			n++
			if !emitted[ref] {
				t.Errorf("%s: %s refers to %s, which was not emitted before it", key, path, ref)
			}
		})
		emitted[key] = true
	}
	if n < len(rs) {
		t.Errorf("only %d references in %d resources", n, len(rs))
	}
}

func TestOrderAndCounts(t *testing.T) {
	const patients = 120
	rs, st := collect(t, Options{Patients: patients, Seed: 5, Now: testNow})

	// Shared resources first, Groups last.
	sharedTypes := map[string]bool{"Organization": true, "Location": true, "Practitioner": true, "PractitionerRole": true, "Medication": true}
	firstPatient := -1
	for i, r := range rs {
		if r.Type == "Patient" && firstPatient < 0 {
			firstPatient = i
		}
		if firstPatient >= 0 && sharedTypes[r.Type] {
			t.Errorf("shared %s at %d after the first patient", r.Type, i)
		}
		if firstPatient < 0 && !sharedTypes[r.Type] {
			t.Errorf("%s at %d before the first patient", r.Type, i)
		}
	}
	if rs[len(rs)-1].Type != "Group" {
		t.Errorf("last resource is %s, want Group", rs[len(rs)-1].Type)
	}

	per := func(typ string) float64 { return float64(st.ByType[typ]) / patients }
	exact := map[string]int{"Patient": patients, "Person": patients, "CareTeam": patients, "Group": 1,
		"Organization": 3 + len(insurerDefs), "Location": 3 * len(metros), "Medication": int(numMeds),
		"Practitioner": len(metros)*int(perMetro) + int(numPracKinds-perMetro)}
	for typ, want := range exact {
		if st.ByType[typ] != want {
			t.Errorf("%d %s, want %d", st.ByType[typ], typ, want)
		}
	}
	if st.ByType["PractitionerRole"] != st.ByType["Practitioner"] {
		t.Errorf("%d PractitionerRoles for %d Practitioners", st.ByType["PractitionerRole"], st.ByType["Practitioner"])
	}
	ranges := []struct {
		typ    string
		lo, hi float64 // per patient
	}{
		{"Encounter", 4, 16},
		{"Observation", 50, 180},
		{"Condition", 1.5, 8},
		{"AllergyIntolerance", 0.5, 2},
		{"MedicationRequest", 1.5, 12},
		{"Immunization", 3, 25},
		{"Procedure", 1, 10},
		{"DiagnosticReport", 2, 15},
		{"DocumentReference", 4, 20},
		{"Provenance", 4, 20},
		{"Appointment", 3, 16},
		{"Coverage", 0.8, 1.4},
		{"Goal", 0.2, 2},
		{"CarePlan", 0.5, 1},
		{"Device", 0.001, 0.2},
	}
	for _, r := range ranges {
		if got := per(r.typ); got < r.lo || got > r.hi {
			t.Errorf("%.2f %s per patient, want %.1f..%.1f", got, r.typ, r.lo, r.hi)
		}
	}
	if got := float64(st.Resources) / patients; got < 100 || got > 250 {
		t.Errorf("%.1f resources per patient, want 100..250", got)
	}
}

func TestCancellationStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	_, err := Generate(ctx, Options{Patients: 1000, Seed: 1, Now: testNow}, func(Resource) error {
		n++
		if n == 2000 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n > 2000+256 {
		t.Errorf("%d resources emitted after cancellation", n-2000)
	}

	n = 0
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	if _, err := Generate(cancelled, Options{Patients: 5, Seed: 1, Now: testNow}, func(Resource) error { n++; return nil }); !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("with a done context: err %v after %d resources", err, n)
	}
}

func TestEmitErrorStops(t *testing.T) {
	boom := errors.New("disk full")
	for _, at := range []int{1, 50, 5000} {
		n := 0
		st, err := Generate(context.Background(), Options{Patients: 100, Seed: 1, Now: testNow}, func(Resource) error {
			n++
			if n == at {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Errorf("at %d: err = %v", at, err)
		}
		if n != at {
			t.Errorf("at %d: emit called %d times", at, n)
		}
		if st.Resources != at-1 {
			t.Errorf("at %d: Stats.Resources = %d", at, st.Resources)
		}
	}
}

func TestOptionsChecked(t *testing.T) {
	emit := func(Resource) error { return nil }
	if _, err := Generate(context.Background(), Options{Patients: -1, Now: testNow}, emit); err == nil {
		t.Error("negative Patients accepted")
	}
	if _, err := Generate(context.Background(), Options{Patients: 1}, emit); err == nil {
		t.Error("zero Now accepted")
	}
	rs, st := collect(t, Options{Patients: 0, Seed: 1, Now: testNow})
	if st.ByType["Patient"] != 0 || st.ByType["Group"] != 0 || len(rs) == 0 {
		t.Errorf("zero patients: %v", st.ByType)
	}
}

func TestGroupsSplitPatients(t *testing.T) {
	var groups []map[string]any
	g := newGen(context.Background(), Options{Seed: 9, Now: testNow}, func(r Resource) error {
		if r.Type != "Group" {
			t.Fatalf("groups wrote a %s", r.Type)
		}
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		groups = append(groups, m)
		return nil
	})
	g.sh.practice = makeID(9, tOrganization, 0, 0)
	g.groups(2500)
	if len(groups) != 3 {
		t.Fatalf("%d groups for 2500 patients, want 3", len(groups))
	}
	for i, want := range []int{1000, 1000, 500} {
		if n := len(groups[i]["member"].([]any)); n != want || groups[i]["quantity"] != float64(want) {
			t.Errorf("group %d: %d members, quantity %v; want %d", i, n, groups[i]["quantity"], want)
		}
		if name := fmt.Sprintf("Demo panel %d", i+1); groups[i]["name"] != name {
			t.Errorf("group %d named %v, want %s", i, groups[i]["name"], name)
		}
	}

	// In a real data set the members are exactly the patients, in order.
	rs, _ := collect(t, Options{Patients: 12, Seed: 9, Now: testNow})
	var patients []string
	for _, r := range rs {
		if r.Type == "Patient" {
			patients = append(patients, "Patient/"+r.ID)
		}
	}
	var grp map[string]any
	if err := json.Unmarshal(rs[len(rs)-1].Body, &grp); err != nil {
		t.Fatal(err)
	}
	members := grp["member"].([]any)
	if len(members) != len(patients) {
		t.Fatalf("%d members for %d patients", len(members), len(patients))
	}
	for i, m := range members {
		if ref := m.(map[string]any)["entity"].(map[string]any)["reference"]; ref != patients[i] {
			t.Errorf("member %d is %v, want %s", i, ref, patients[i])
		}
	}
}
