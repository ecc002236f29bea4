package portalapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/portalapi"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// env is the whole server (package testenv) with the portal API on.
type env struct {
	*testenv.Server
	t *testing.T
}

func newEnv(t *testing.T, dialect string) *env {
	e := &env{Server: testenv.Start(t, dialect, nil), t: t}
	e.Set(t, server.SettingPortalAPI, "on")
	return e
}

// get reads a portal path and returns the status, the envelope's data and
// the whole body.
func (e *env) get(path, token string) (int, json.RawMessage, []byte) {
	e.t.Helper()
	r := e.Do("GET", path, token, "")
	var envl struct {
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(r.Body, &envl)
	return r.Status, envl.Data, r.Body
}

// patientToken is the token a portal sign-in gives the patient.
func (e *env) patientToken(patient, scopes string) string {
	return e.PatientToken(scopes, patient)
}

func TestPortal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		pa := e.Create(t, `{"resourceType":"Patient","name":[{"family":"Russo","given":["Kelly"]}],"gender":"female","birthDate":"2013-05-24"}`)
		pb := e.Create(t, `{"resourceType":"Patient","name":[{"family":"Other","given":["Olga"]}],"gender":"female","birthDate":"1970-01-01"}`)
		encA := e.Create(t, `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"ambulatory"},"subject":{"reference":"Patient/`+pa+`"},"period":{"start":"2025-06-30T20:45:00Z"},"reasonCode":[{"text":"Well child visit"}]}`)
		encB := e.Create(t, `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/`+pb+`"}}`)
		apA := e.Create(t, `{"resourceType":"Appointment","status":"booked","description":"Follow-up","start":"2026-07-30T20:15:00Z","end":"2026-07-30T20:45:00Z","participant":[{"actor":{"reference":"Patient/`+pa+`"},"status":"accepted"}]}`)
		apB := e.Create(t, `{"resourceType":"Appointment","status":"booked","start":"2026-07-30T20:15:00Z","end":"2026-07-30T20:45:00Z","participant":[{"actor":{"reference":"Patient/`+pb+`"},"status":"accepted"}]}`)

		all := "api:port patient/patient.read patient/encounter.read patient/appointment.read"
		tokA := e.patientToken(pa, all)
		staff := e.Token("api:port api:oemr user/*.cruds", "")
		noPort := e.patientToken(pa, "patient/patient.read patient/encounter.read patient/appointment.read")
		onlyPatient := e.patientToken(pa, "api:port patient/patient.read")
		noPatient := e.Mint(server.TokenRequest{Subject: "someone", Scope: all, Role: authz.RolePatient, TTL: time.Hour})

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
		e.Store().FlushAudit()
		evs, err := e.Store().ListAudit(context.Background(), store.AuditFilter{PathPrefix: "/portal/patient/encounter/" + encB})
		if err != nil || len(evs) != 1 || evs[0].Patient != pa || evs[0].Status != 404 || evs[0].Actor != "patient-"+pa {
			t.Errorf("audit of another patient's encounter: %+v %v", evs, err)
		}
		// With api_log on, the answer is kept too.
		e.Set(t, server.SettingAPILog, "on")
		if status, _, _ := e.get("/portal/patient/encounter/"+encA, tokA); status != 200 {
			t.Fatalf("logged read: %d", status)
		}
		e.Store().FlushAudit()
		evs, _ = e.Store().ListAudit(context.Background(), store.AuditFilter{PathPrefix: "/portal/patient/encounter/" + encA, Limit: 1})
		if len(evs) != 1 || !strings.Contains(evs[0].Detail, `response: {"validationErrors"`) {
			t.Errorf("bodies not logged: %+v", evs)
		}
		e.Set(t, server.SettingPortalAPI, "off")
		if status, _, _ := e.get("/portal/patient", tokA); status != 404 {
			t.Errorf("switched off: %d, want 404", status)
		}
	})
}

func TestRouteTable(t *testing.T) {
	for _, r := range portalapi.Routes() {
		if r.Resource == "" || r.Response == nil || r.Status != 200 {
			t.Errorf("%s %s: incomplete", r.Method, r.Path)
		}
	}
	portalapi.New(portalapi.Config{})
}
