package portalapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/authz/authztest"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

const testBase = "https://ehr.example.org"

type env struct {
	t   *testing.T
	s   *store.Store
	srv *httptest.Server
	ti  *authztest.Issuer
	on  bool
}

func newEnv(t *testing.T, dialect string) *env {
	s := storetest.Open(t, dialect, store.Options{})
	ti := authztest.NewIssuer(t, testBase, testBase+"/fhir/r4")
	e := &env{t: t, s: s, ti: ti, on: true}
	h := New(Config{Store: s, Gate: ti.Verifier(), BaseURL: testBase, Enabled: func(context.Context) (bool, error) { return e.on, nil }})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// create writes a resource through the store, as a FHIR client would.
func (e *env) create(body string) string {
	e.t.Helper()
	o, err := fhirjson.Decode([]byte(body))
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.s.Create(context.Background(), o["resourceType"].(string), o, search.Compartment{})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

func (e *env) get(path, token string) (int, json.RawMessage, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var envl struct {
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(raw, &envl)
	return resp.StatusCode, envl.Data, raw
}

func (e *env) patientToken(patient, scopes string) string {
	return e.ti.Token(authz.Claims{Scope: scopes, Patient: patient, Role: authz.RolePatient, Subject: "portal-" + patient})
}

func TestPortal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		pa := e.create(`{"resourceType":"Patient","name":[{"family":"Russo","given":["Kelly"]}],"gender":"female","birthDate":"2013-05-24"}`)
		pb := e.create(`{"resourceType":"Patient","name":[{"family":"Other","given":["Olga"]}],"gender":"female","birthDate":"1970-01-01"}`)
		encA := e.create(`{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"ambulatory"},"subject":{"reference":"Patient/` + pa + `"},"period":{"start":"2025-06-30T20:45:00Z"},"reasonCode":[{"text":"Well child visit"}]}`)
		encB := e.create(`{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/` + pb + `"}}`)
		apA := e.create(`{"resourceType":"Appointment","status":"booked","description":"Follow-up","start":"2026-07-30T20:15:00Z","end":"2026-07-30T20:45:00Z","participant":[{"actor":{"reference":"Patient/` + pa + `"},"status":"accepted"}]}`)
		apB := e.create(`{"resourceType":"Appointment","status":"booked","start":"2026-07-30T20:15:00Z","end":"2026-07-30T20:45:00Z","participant":[{"actor":{"reference":"Patient/` + pb + `"},"status":"accepted"}]}`)

		all := "api:port patient/patient.read patient/encounter.read patient/appointment.read"
		tokA := e.patientToken(pa, all)
		staff := e.ti.Token(authz.Claims{Scope: "api:port api:oemr user/*.cruds"})
		noPort := e.patientToken(pa, "patient/patient.read patient/encounter.read patient/appointment.read")
		onlyPatient := e.patientToken(pa, "api:port patient/patient.read")
		noPatient := e.ti.Token(authz.Claims{Scope: all, Role: authz.RolePatient})

		tests := []struct {
			name, path, token string
			want              int
			check             func(t *testing.T, data json.RawMessage)
		}{
			{"patient", "/portal/patient", tokA, 200, func(t *testing.T, d json.RawMessage) {
				var p struct {
					UUID  string `json:"uuid"`
					Fname string `json:"fname"`
					DOB   string `json:"DOB"`
				}
				json.Unmarshal(d, &p)
				if p.UUID != pa || p.Fname != "Kelly" || p.DOB != "2013-05-24" {
					t.Errorf("patient = %s", d)
				}
			}},
			{"patient ignores a pid in the query", "/portal/patient?pid=" + pb + "&puuid=" + pb, tokA, 200, func(t *testing.T, d json.RawMessage) {
				var p struct{ UUID string }
				json.Unmarshal(d, &p)
				if p.UUID != pa {
					t.Errorf("patient from the query, not the token: %s", d)
				}
			}},
			{"alt prefix", "/apis/default/portal/patient", tokA, 200, nil},
			{"encounters", "/portal/patient/encounter", tokA, 200, func(t *testing.T, d json.RawMessage) {
				var es []struct {
					UUID   string `json:"uuid"`
					Reason string `json:"reason"`
				}
				json.Unmarshal(d, &es)
				if len(es) != 1 || es[0].UUID != encA || es[0].Reason != "Well child visit" {
					t.Errorf("encounters = %s", d)
				}
			}},
			{"encounter", "/portal/patient/encounter/" + encA, tokA, 200, nil},
			{"another patient's encounter", "/portal/patient/encounter/" + encB, tokA, 404, nil},
			{"unknown encounter", "/portal/patient/encounter/0f9c3c5e-0000-4000-8000-000000000000", tokA, 404, nil},
			{"malformed id", "/portal/patient/encounter/bad$id", tokA, 400, nil},
			{"appointments", "/portal/patient/appointment", tokA, 200, func(t *testing.T, d json.RawMessage) {
				var as []struct {
					UUID    string `json:"uuid"`
					PcTitle string `json:"pc_title"`
				}
				json.Unmarshal(d, &as)
				if len(as) != 1 || as[0].UUID != apA || as[0].PcTitle != "Follow-up" {
					t.Errorf("appointments = %s", d)
				}
			}},
			{"appointment", "/portal/patient/appointment/" + apA, tokA, 200, nil},
			{"another patient's appointment", "/portal/patient/appointment/" + apB, tokA, 404, nil},
			{"bad paging", "/portal/patient/appointment?_limit=x", tokA, 400, nil},
			{"no token", "/portal/patient", "", 401, nil},
			{"staff token", "/portal/patient", staff, 403, nil},
			{"no api:port", "/portal/patient", noPort, 403, nil},
			{"wrong scope", "/portal/patient/encounter", onlyPatient, 403, nil},
			{"no patient in the token", "/portal/patient", noPatient, 403, nil},
			{"unknown route", "/portal/patient/nothing", tokA, 404, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				status, data, raw := e.get(tc.path, tc.token)
				if status != tc.want {
					t.Fatalf("GET %s = %d, want %d: %s", tc.path, status, tc.want, raw)
				}
				if tc.check != nil {
					tc.check(t, data)
				}
			})
		}
		// Every call is audited, with the patient from the token.
		e.s.FlushAudit()
		evs, err := e.s.ListAudit(context.Background(), store.AuditFilter{PathPrefix: "/portal/patient/encounter/" + encB})
		if err != nil || len(evs) != 1 || evs[0].Patient != pa || evs[0].Status != 404 || evs[0].Actor != "portal-"+pa {
			t.Errorf("audit of another patient's encounter: %+v %v", evs, err)
		}
		// With api_log on, the answer is kept too.
		logged := New(Config{Store: e.s, Gate: e.ti.Verifier(), BaseURL: testBase, LogBodies: func(context.Context) bool { return true }})
		e.srv.Config.Handler = logged
		if status, _, _ := e.get("/portal/patient/encounter/"+encA, tokA); status != 200 {
			t.Fatalf("logged read: %d", status)
		}
		e.s.FlushAudit()
		evs, _ = e.s.ListAudit(context.Background(), store.AuditFilter{PathPrefix: "/portal/patient/encounter/" + encA, Limit: 1})
		if len(evs) != 1 || !strings.Contains(evs[0].Detail, `response: {"validationErrors"`) {
			t.Errorf("bodies not logged: %+v", evs)
		}
		e.on = false
		e.srv.Config.Handler = New(Config{Store: e.s, Gate: e.ti.Verifier(), Enabled: func(context.Context) (bool, error) { return e.on, nil }})
		if status, _, _ := e.get("/portal/patient", tokA); status != 404 {
			t.Errorf("switched off: %d, want 404", status)
		}
	})
}

func TestRouteTable(t *testing.T) {
	for _, r := range Routes() {
		if r.Resource == "" || r.Response == nil || r.Status != 200 {
			t.Errorf("%s %s: incomplete", r.Method, r.Path)
		}
	}
	New(Config{})
}
