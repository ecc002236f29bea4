package fhirapi_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhirapi"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// TestConditionalReferenceWaitsForConditionalCreate: a conditional create
// of Patient?identifier=… is in progress (its transaction holds the
// condition's lock and has not written yet) when a transaction Bundle
// refers to Patient?identifier=… with the same search. The Bundle must not
// resolve the reference until the create ends: it then finds the one
// patient the create made, and no second patient can appear. Resolving
// without the lock would answer 412 "matches no resource" while the
// create goes on to make the patient.
//
// On PostgreSQL the Bundle is seen waiting on the lock (pg_locks) before
// the create is let go, and it must not have answered by then; on SQLite
// the one writer orders the two transactions, and the same answer is
// checked.
func TestConditionalReferenceWaitsForConditionalCreate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		ts := testenv.StartDSN(t, dsn, nil)
		admin := ts.Token("user/*.cruds", "")
		const system, value = "urn:test:mrn", "race-1"
		key := fhirapi.ConditionLockKey("Patient", url.Values{"identifier": {system + "|" + value}})

		locked, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		var heldID string
		created := make(chan error, 1)
		go func() {
			created <- ts.App.Store.Transaction(context.Background(), func(tx *store.Tx) error {
				if err := tx.Lock(key); err != nil {
					return err
				}
				once.Do(func() { close(locked) })
				<-release
				id, err := tx.NewID()
				if err != nil {
					return err
				}
				body, err := fhirjson.Decode([]byte(`{"resourceType":"Patient","identifier":[{"system":"` + system + `","value":"` + value + `"}]}`))
				if err != nil {
					return err
				}
				heldID = id
				_, err = tx.Create("Patient", id, body, search.Compartment{})
				return err
			})
		}()
		<-locked

		bundle := `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0b6d2c1e-0000-4000-8000-000000000001",` +
			`"resource":{"resourceType":"Observation","status":"final","code":{"text":"weight"},` +
			`"subject":{"reference":"Patient?identifier=` + url.QueryEscape(system+"|"+value) + `"}},` +
			`"request":{"method":"POST","url":"Observation"}}]}`
		answered := make(chan testenv.Response, 1)
		go func() { answered <- ts.Do("POST", "/fhir/r4", admin, bundle, "Prefer", "return=representation") }()

		if dialect == "postgres" {
			waitForLockWaiter(t, dsn, answered)
		}
		close(release)
		if err := <-created; err != nil {
			t.Fatalf("the conditional create: %v", err)
		}
		r := <-answered
		if r.Status != 200 {
			t.Fatalf("the Bundle: %d %s", r.Status, r.Body)
		}
		if want := `"reference":"Patient/` + heldID + `"`; !strings.Contains(string(r.Body), want) {
			t.Fatalf("the Observation does not refer to the patient the conditional create made (%s): %s", want, r.Body)
		}
		if got := ts.Do("GET", "/fhir/r4/Patient?identifier="+url.QueryEscape(system+"|"+value)+"&_summary=count", admin, ""); !strings.Contains(string(got.Body), `"total":1`) {
			t.Fatalf("patients with the identifier: %s", got.Body)
		}
	})
}

// waitForLockWaiter returns once a session of the test's database waits
// for an advisory lock (the Bundle, on the condition's lock). The Bundle
// answering first means it resolved the reference without waiting.
func waitForLockWaiter(t *testing.T, dsn string, answered <-chan testenv.Response) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case r := <-answered:
			t.Fatalf("the Bundle was answered while a conditional create of the same search held its lock: %d %s", r.Status, r.Body)
		default:
		}
		var waiting int
		err := db.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
			WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the Bundle neither waited for the condition's lock nor answered")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
