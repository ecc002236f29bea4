package gate_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/authz/authztest"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/store"
)

// rows collects the audit rows a gate records.
type rows struct {
	mu   sync.Mutex
	list []store.AuditEvent
}

func (a *rows) RecordAccess(ctx context.Context, ev store.AuditEvent) {
	if ev.RequestInfo == (store.RequestInfo{}) {
		ev.RequestInfo = store.RequestFrom(ctx)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, ev)
}

// plain is a face's error writer: the kind's status and the message.
func plain(w http.ResponseWriter, r *http.Request, err error) {
	http.Error(w, err.Error(), errs.KindOf(err).Status())
}

// TestServe: every request through the gate is authenticated; a refusal
// (no token, a revoked one) is answered 401 with the face's realm and
// audited without an actor, and the handler never runs; after the handler,
// one row records the caller, what the handler named, the status it
// answered and its error (internal details withheld), with the bodies when
// the face logs them; a handler may leave no row.
func TestServe(t *testing.T) {
	ti := authztest.NewIssuer(t, "https://emp.test", "https://emp.test/fhir/r4")
	good := ti.Token(authz.Claims{Scope: "user/*.rs", ClientID: "app", ID: "jti-good"})
	revoked := ti.Token(authz.Claims{Scope: "user/*.rs", ClientID: "app", ID: "jti-revoked"})
	if err := ti.Store.RevokeToken(t.Context(), "jti-revoked", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, token, body string
		logBodies         bool
		handler           func(*gate.Request) error
		status            int
		challenge         string
		row               *store.AuditEvent // nil: no row
		detail            string            // the row's detail starts with it
	}{
		{name: "no token", status: 401, challenge: `Bearer realm="test"`,
			row: &store.AuditEvent{Action: "authenticate", Status: 401}, detail: "missing bearer token"},
		{name: "revoked token", token: revoked, status: 401,
			challenge: `Bearer realm="test", error="invalid_token", error_description="access token revoked"`,
			row:       &store.AuditEvent{Action: "authenticate", Status: 401}, detail: "access token revoked"},
		{name: "created", token: good, status: 201,
			handler: func(req *gate.Request) error {
				req.Audit = store.AuditEvent{Patient: "p1", Action: "create", Type: "Observation", ResID: "o1"}
				req.W.WriteHeader(http.StatusCreated)
				return nil
			},
			row: &store.AuditEvent{RequestInfo: store.RequestInfo{Actor: "test-user", ClientID: "app", Role: authz.RoleClinician},
				Patient: "p1", Action: "create", Type: "Observation", ResID: "o1", Status: 201}},
		{name: "forbidden", token: good, status: 403,
			handler: func(req *gate.Request) error {
				req.Audit = store.AuditEvent{Action: "read", Type: "Patient"}
				return errs.E(errs.Forbidden, "no scope for Patient")
			},
			row: &store.AuditEvent{RequestInfo: store.RequestInfo{Actor: "test-user", ClientID: "app", Role: authz.RoleClinician},
				Action: "read", Type: "Patient", Status: 403}, detail: "no scope for Patient"},
		{name: "internal error withheld", token: good, status: 500,
			handler: func(req *gate.Request) error {
				req.Audit = store.AuditEvent{Action: "read"}
				return errors.New("disk on fire")
			},
			row: &store.AuditEvent{RequestInfo: store.RequestInfo{Actor: "test-user", ClientID: "app", Role: authz.RoleClinician},
				Action: "read", Status: 500}, detail: "internal error"},
		{name: "no row", token: good, status: 202,
			handler: func(req *gate.Request) error {
				req.NoAudit = true
				req.W.WriteHeader(http.StatusAccepted)
				return nil
			}},
		{name: "bodies logged", token: good, body: `{"a":1}`, logBodies: true, status: 200,
			handler: func(req *gate.Request) error {
				b, _ := io.ReadAll(req.R.Body)
				req.LogRequestBody(b)
				req.Audit = store.AuditEvent{Action: "update"}
				io.WriteString(req.W, `{"ok":true}`)
				return nil
			},
			row: &store.AuditEvent{RequestInfo: store.RequestInfo{Actor: "test-user", ClientID: "app", Role: authz.RoleClinician},
				Action: "update", Status: 200}, detail: "\nrequest: {\"a\":1}\nresponse: {\"ok\":true}"},
		{name: "bodies not logged", token: good, body: `{"a":1}`, status: 200,
			handler: func(req *gate.Request) error {
				b, _ := io.ReadAll(req.R.Body)
				req.LogRequestBody(b)
				io.WriteString(req.W, `{"ok":true}`)
				return nil
			},
			row: &store.AuditEvent{RequestInfo: store.RequestInfo{Actor: "test-user", ClientID: "app", Role: authz.RoleClinician},
				Status: 200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			audit := &rows{}
			ran := false
			g := gate.New(gate.Config{Verifier: ti.Verifier(), Audit: audit, Realm: "test", WriteError: plain,
				LogBodies: func(context.Context) bool { return tc.logBodies }})
			h := g.Serve(func(req *gate.Request) error {
				ran = true
				return tc.handler(req)
			})
			r := httptest.NewRequest("POST", "/x/y", strings.NewReader(tc.body))
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			h(w, r)
			if w.Code != tc.status || w.Header().Get("WWW-Authenticate") != tc.challenge {
				t.Fatalf("%d %q, want %d %q: %s", w.Code, w.Header().Get("WWW-Authenticate"), tc.status, tc.challenge, w.Body)
			}
			if ran != (tc.handler != nil) {
				t.Fatalf("handler ran: %v", ran)
			}
			if tc.row == nil {
				if len(audit.list) != 0 {
					t.Fatalf("rows %+v, want none", audit.list)
				}
				return
			}
			if len(audit.list) != 1 {
				t.Fatalf("rows %+v, want one", audit.list)
			}
			got := audit.list[0]
			if !strings.HasPrefix(got.Detail, tc.detail) || (tc.detail == "" && got.Detail != "") {
				t.Fatalf("detail %q, want %q", got.Detail, tc.detail)
			}
			want := *tc.row
			want.Method, want.Path = "POST", "/x/y"
			got.Detail = ""
			if got != want {
				t.Fatalf("row\n%+v, want\n%+v", got, want)
			}
		})
	}
}
