package bulk_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// patientScopes are what a patient app asks for to export its patient's
// records.
const patientScopes = "patient/Patient.$export patient/*.rs"

// twoPatients returns the ids of the env's first two patients.
func twoPatients(t *testing.T, e *env) (string, string) {
	t.Helper()
	res, err := e.st.Search(context.Background(), &search.Query{Type: "Patient", Count: 10})
	if err != nil || len(res.Resources) < 2 {
		t.Fatalf("patients: %v %v", res, err)
	}
	return res.Resources[0].ID, res.Resources[1].ID
}

// patientToken is a token of the shared app "portal-app" for the patient
// user signed in as subject, with the patient in context.
func (e *env) patientToken(subject, patient string) string {
	return e.issuer.Token(authz.Claims{ClientID: "portal-app", Subject: subject, Patient: patient,
		Role: authz.RolePatient, Scope: patientScopes})
}

// TestExportBelongsToItsPerson: a job answers only the client, subject and
// patient that started it. Patient Q, signed in to the same app as P,
// cannot poll, download or cancel P's export (404, as for a job that does
// not exist), nor can a token of P's own subject with another patient in
// context; P still can.
func TestExportBelongsToItsPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 2)
		pidP, pidQ := twoPatients(t, e)
		e.serve(e.service(nil))
		tokP := e.patientToken("user-p", pidP)
		status := e.kickoff(tokP, "/fhir/r4/Patient/$export?_type=Patient,Condition")
		m := e.wait(tokP, status)
		if len(m.Output) == 0 {
			t.Fatal("P's export has no files")
		}
		file := m.Output[0].URL
		tokQ := e.patientToken("user-q", pidQ)
		sameSubjectOtherPatient := e.patientToken("user-p", pidQ)
		otherClient := e.issuer.Token(authz.Claims{ClientID: "other-app", Subject: "user-p", Patient: pidP,
			Role: authz.RolePatient, Scope: patientScopes})
		tests := []struct {
			name, method, url, token string
		}{
			{"Q polls P's status", "GET", status, tokQ},
			{"Q downloads P's file", "GET", file, tokQ},
			{"Q cancels P's job", "DELETE", status, tokQ},
			{"P's subject with Q in context polls", "GET", status, sameSubjectOtherPatient},
			{"P's subject with Q in context downloads", "GET", file, sameSubjectOtherPatient},
			{"P through another client polls", "GET", status, otherClient},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp := e.do(tc.method, tc.url, tc.token, nil)
				b := readAll(t, resp)
				if resp.StatusCode != http.StatusNotFound || outcomeCode(t, b) != "not-found" {
					t.Fatalf("status %d, want 404: %s", resp.StatusCode, b)
				}
			})
		}
		// Nothing above cancelled or hid P's job: P polls and downloads.
		got := e.download(tokP, e.wait(tokP, status))
		if p := ids(t, got["Patient"]); len(p) != 1 || !p[pidP] {
			t.Fatalf("P's export holds patients %v", p)
		}
	})
}

// TestExportQuotaPerOwner: the per-client limit counts each owner's jobs,
// so P's queued export does not hold Q up in the same app, while P's
// second one is refused.
func TestExportQuotaPerOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 2)
		pidP, pidQ := twoPatients(t, e)
		// No runner: the exports stay queued.
		e.service(func(c *bulk.Config) { c.MaxActivePerClient = 1 }).Routes(e.mux, "/fhir/r4")
		tokP := e.patientToken("user-p", pidP)
		tokQ := e.patientToken("user-q", pidQ)
		e.kickoff(tokP, "/fhir/r4/Patient/$export")
		resp := e.do("GET", "/fhir/r4/Patient/$export", tokP, nil, "Accept", "application/fhir+json", "Prefer", "respond-async")
		if b := readAll(t, resp); resp.StatusCode != http.StatusTooManyRequests || outcomeCode(t, b) != "throttled" {
			t.Fatalf("P's second export: %d %s", resp.StatusCode, b)
		}
		statusQ := e.kickoff(tokQ, "/fhir/r4/Patient/$export")
		resp = e.do("GET", statusQ, tokQ, nil)
		if b := readAll(t, resp); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("Q polls its own export: %d %s", resp.StatusCode, b)
		}
	})
}
