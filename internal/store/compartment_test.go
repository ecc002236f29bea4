package store_test

import (
	"context"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// linkedFixture: two patients, a Device of each, a Binary whose
// securityContext is p1's DocumentReference, a Bundle holding p2's
// Observation, and a Device of nobody.
func linkedFixture(t *testing.T, s *store.Store) {
	for _, body := range []string{
		`{"resourceType":"Patient","id":"p1"}`,
		`{"resourceType":"Patient","id":"p2"}`,
		`{"resourceType":"Device","id":"dev1","patient":{"reference":"Patient/p1"}}`,
		`{"resourceType":"Device","id":"dev2","patient":{"reference":"Patient/p2"}}`,
		`{"resourceType":"Device","id":"shelf"}`,
		`{"resourceType":"DocumentReference","id":"doc1","status":"current","subject":{"reference":"Patient/p1"},"content":[{"attachment":{"contentType":"text/plain"}}]}`,
		`{"resourceType":"Binary","id":"bin1","contentType":"text/plain","securityContext":{"reference":"DocumentReference/doc1"}}`,
		`{"resourceType":"Bundle","id":"bun2","type":"collection","entry":[{"resource":{"resourceType":"Observation","id":"o","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p2"}}}]}`,
	} {
		o := obj(t, body)
		if _, _, err := s.Update(context.Background(), o["resourceType"].(string), o["id"].(string), o, 0, none); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLinkedCompartment: the Linked types are read, as a patient, only by
// the patients their links reach; and a store written before migration
// 0012 gets those rows when it opens.
func TestLinkedCompartment(t *testing.T) {
	cases := []struct {
		patient, rtype, id string
		visible            bool
	}{
		{"p1", "Device", "dev1", true},
		{"p1", "Device", "dev2", false},
		{"p2", "Device", "dev2", true},
		{"p1", "Device", "shelf", false},
		{"p1", "Binary", "bin1", true},
		{"p2", "Binary", "bin1", false},
		{"p2", "Bundle", "bun2", true},
		{"p1", "Bundle", "bun2", false},
	}
	check := func(t *testing.T, s *store.Store, when string) {
		t.Helper()
		for _, c := range cases {
			_, err := s.Read(context.Background(), c.rtype, c.id, search.Compartment{Restricted: true, Patient: c.patient})
			if (err == nil) != c.visible {
				t.Errorf("%s: %s reading %s/%s: err %v, want visible %v", when, c.patient, c.rtype, c.id, err, c.visible)
			}
		}
	}
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := written(t, dialect, linkedFixture)
		s := openAt(t, dsn)
		check(t, s, "written now")
		s.Close()

		// As before migration 0012: the Linked resources had no rows.
		raw := openRaw(t, dsn)
		raw.exec(`DELETE FROM compartment WHERE rid IN (SELECT rid FROM resources WHERE type IN ('Device', 'Binary', 'Bundle'))`)
		before := raw.count(`SELECT COUNT(*) FROM compartment`)
		raw.exec(`INSERT INTO index_backfill (name, after_rid) VALUES ('compartment:linked', 0)`)
		s = openAt(t, dsn)
		check(t, s, "after the walk")
		if got := raw.count(`SELECT COUNT(*) FROM compartment`); got != before+4 {
			t.Errorf("the walk left %d compartment rows, want the %d of other types and 4 linked", got, before)
		}
		if n := raw.count(`SELECT COUNT(*) FROM index_backfill`); n != 0 {
			t.Errorf("walk still pending: %d", n)
		}
	})
}

// TestReindexAbsoluteReferences: references indexed before migration 0021
// (another server's Patient/p1 as the local p1; this server's absolute
// URL as nothing, written without the bases) are indexed again by the
// bases once the server names them.
func TestReindexAbsoluteReferences(t *testing.T) {
	const base = "https://ehr.example.org/fhir/r4"
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := written(t, dialect, func(t *testing.T, s *store.Store) {
			for _, body := range []string{
				`{"resourceType":"Patient","id":"p1"}`,
				`{"resourceType":"Observation","id":"elsewhere","status":"final","code":{"text":"x"},"subject":{"reference":"https://other.example.org/fhir/Patient/p1"}}`,
				`{"resourceType":"Observation","id":"here","status":"final","code":{"text":"x"},"subject":{"reference":"` + base + `/Patient/p1"}}`,
			} {
				o := obj(t, body)
				if _, _, err := s.Update(context.Background(), o["resourceType"].(string), o["id"].(string), o, 0, none); err != nil {
					t.Fatal(err)
				}
			}
		})
		raw := openRaw(t, dsn)
		// As the old code indexed them: the other server's patient as p1.
		raw.exec(`UPDATE idx_reference SET target_type = 'Patient', target_id = 'p1' WHERE url LIKE 'https://other.example.org/%'`)
		raw.exec(`INSERT INTO compartment (patient, rid) SELECT 'p1', rid FROM resources WHERE id = 'elsewhere'`)
		raw.exec(`INSERT INTO index_backfill (name, after_rid) VALUES ('absolute_refs', 0)`)
		s := openAt(t, dsn)
		s.SetLocalBases(base)
		if err := s.ReindexAbsoluteReferences(context.Background()); err != nil {
			t.Fatal(err)
		}
		for id, visible := range map[string]bool{"elsewhere": false, "here": true} {
			_, err := s.Read(context.Background(), "Observation", id, search.Compartment{Restricted: true, Patient: "p1"})
			if (err == nil) != visible {
				t.Errorf("p1 reading Observation/%s after the walk: %v, want visible %v", id, err, visible)
			}
		}
		if n := raw.count(`SELECT COUNT(*) FROM idx_reference WHERE url LIKE 'https://other.example.org/%' AND target_id <> ''`); n != 0 {
			t.Errorf("%d rows still take the other server's reference as local", n)
		}
		if n := raw.count(`SELECT COUNT(*) FROM index_backfill`); n != 0 {
			t.Errorf("walk still pending: %d", n)
		}
	})
}
