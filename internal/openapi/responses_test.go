package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/authz/authztest"
	"github.com/emedpractice/emp/internal/portalapi"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// faces serves the real /api/ and /portal/ handlers over a fresh store.
type faces struct {
	t     *testing.T
	srv   *httptest.Server
	ti    *authztest.Issuer
	staff string
	c     *checker
}

func newFaces(t *testing.T, dialect string) *faces {
	s := storetest.Open(t, dialect, store.Options{})
	ti := authztest.NewIssuer(t, testBase, testBase+"/fhir/r4")
	mux := http.NewServeMux()
	mux.Handle("/api/", api.New(api.Config{Store: s, Gate: ti.Verifier(), BaseURL: testBase, Version: "test"}))
	mux.Handle("/portal/", portalapi.New(portalapi.Config{Store: s, Gate: ti.Verifier(), BaseURL: testBase}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := &faces{t: t, srv: srv, ti: ti, c: servedDocument(t)}
	f.c.strict = true
	f.staff = ti.Token(authz.Claims{Scope: "api:oemr user/*.cruds"})
	return f
}

// call sends a request and checks the answer against the document's
// response for the operation (pattern is the documented path) and status.
// It returns the envelope's data.
func (f *faces) call(method, pattern, path, token string, body any, want int) json.RawMessage {
	f.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case *multipartBody:
		rd, ctype = bytes.NewReader(b.data), b.ctype
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	f.validate(method, pattern, resp, raw)
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(raw, &env)
	return env.Data
}

// validate checks one answer against the document.
func (f *faces) validate(method, pattern string, resp *http.Response, raw []byte) {
	f.t.Helper()
	item, ok := f.c.doc["paths"].(map[string]any)[pattern].(map[string]any)
	if !ok {
		f.t.Fatalf("%s is not documented", pattern)
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		f.t.Fatalf("%s %s is not documented", method, pattern)
	}
	r, ok := op["responses"].(map[string]any)[fmt.Sprint(resp.StatusCode)].(map[string]any)
	if !ok {
		f.t.Fatalf("%s %s: status %d is not documented", method, pattern, resp.StatusCode)
	}
	if ref, ok := r["$ref"].(string); ok {
		var err error
		if r, err = f.c.resolve(ref); err != nil {
			f.t.Fatal(err)
		}
	}
	ctype, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	content := r["content"].(map[string]any)
	mt, ok := content[ctype].(map[string]any)
	if !ok {
		if _, binary := content["application/octet-stream"]; binary {
			return // a file is returned as it was uploaded, whatever its type
		}
		f.t.Fatalf("%s %s %d: content type %q is not documented", method, pattern, resp.StatusCode, ctype)
	}
	v, err := decodeJSON(raw)
	if err != nil {
		f.t.Fatalf("%s %s: not JSON: %v", method, pattern, err)
	}
	for _, e := range f.c.check(mt["schema"].(map[string]any), v, fmt.Sprintf("%s %s %d", method, pattern, resp.StatusCode)) {
		f.t.Error(e)
	}
}

// example is the document's example of a named schema.
func (f *faces) example(name string) map[string]any {
	f.t.Helper()
	s, err := f.c.resolve(refPrefix + name)
	if err != nil {
		f.t.Fatal(err)
	}
	ex, ok := s["example"].(map[string]any)
	if !ok {
		f.t.Fatalf("schema %s has no example", name)
	}
	return ex
}

type multipartBody struct {
	data  []byte
	ctype string
}

func upload(field, name, content string) *multipartBody {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile(field, name)
	fw.Write([]byte(content))
	w.Close()
	return &multipartBody{data: b.Bytes(), ctype: w.FormDataContentType()}
}

type ids struct {
	ID        json.Number `json:"id"`
	Pid       json.Number `json:"pid"`
	Encounter json.Number `json:"encounter"`
	IID       json.Number `json:"iid"`
	UUID      string      `json:"uuid"`
}

func decodeIDs(t *testing.T, raw json.RawMessage) ids {
	t.Helper()
	var v ids
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("ids: %v: %s", err, raw)
	}
	return v
}

// TestRealAnswersValidateAgainstTheDocument drives the real faces through
// representative routes of every shape (create, read, update, list, delete,
// upload, download, public, portal) and their errors, and checks each answer
// against the document, strictly: a member the document does not describe
// fails.
func TestRealAnswersValidateAgainstTheDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := newFaces(t, dialect)

		f.call("GET", "/api/version", "/api/version", "", nil, 200)

		// The document's own example is a body the server accepts.
		pt := decodeIDs(t, f.call("POST", "/api/patient", "/api/patient", f.staff, f.example("Patient"), 201))
		if pt.UUID == "" {
			t.Fatal("no uuid for the new patient")
		}
		pp := "/api/patient/" + pt.UUID
		f.call("GET", "/api/patient/{puuid}", pp, f.staff, nil, 200)
		f.call("GET", "/api/patient/{puuid}", "/api/patient/"+pt.Pid.String(), f.staff, nil, 200)
		f.call("PUT", "/api/patient/{puuid}", pp, f.staff, map[string]any{"phone_cell": "617-555-0199"}, 200)
		f.call("GET", "/api/patient", "/api/patient?lname=Lovelace&_limit=1", f.staff, nil, 200)
		f.call("GET", "/api/patient", "/api/patient?lname=Nobody", f.staff, nil, 200)

		// Errors: bad input, no token, wrong scope, unknown id.
		f.call("POST", "/api/patient", "/api/patient", f.staff, map[string]any{"fname": "", "DOB": "10/12/1815"}, 400)
		f.call("GET", "/api/patient", "/api/patient?_limit=many", f.staff, nil, 400)
		f.call("GET", "/api/patient", "/api/patient", "", nil, 401)
		f.call("GET", "/api/patient", "/api/patient", f.ti.Token(authz.Claims{Scope: "api:oemr user/encounter.read"}), nil, 403)
		f.call("GET", "/api/patient/{puuid}", "/api/patient/0b7c1a6e-0000-4000-8000-000000000000", f.staff, nil, 404)

		pr := decodeIDs(t, f.call("POST", "/api/practitioner", "/api/practitioner", f.staff,
			map[string]any{"fname": "Jesse", "lname": "Thomas", "npi": "1234567893"}, 201))
		f.call("GET", "/api/practitioner/{pruuid}", "/api/practitioner/"+pr.UUID, f.staff, nil, 200)
		fac := decodeIDs(t, f.call("POST", "/api/facility", "/api/facility", f.staff,
			map[string]any{"name": "Main Clinic", "facility_npi": "1987654321", "city": "Phoenix"}, 201))
		f.call("GET", "/api/facility", "/api/facility", f.staff, nil, 200)

		enc := decodeIDs(t, f.call("POST", "/api/patient/{puuid}/encounter", pp+"/encounter", f.staff, map[string]any{
			"pc_catid": "5", "class_code": "AMB", "date": "2024-01-02 10:00:00", "reason": "Checkup",
			"facility_id": fac.ID.String(), "provider_id": pr.ID.String(),
		}, 201))
		f.call("GET", "/api/patient/{puuid}/encounter/{euuid}", pp+"/encounter/"+enc.UUID, f.staff, nil, 200)
		f.call("GET", "/api/patient/{puuid}/encounter", pp+"/encounter", f.staff, nil, 200)

		mp := decodeIDs(t, f.call("POST", "/api/patient/{puuid}/medical_problem", pp+"/medical_problem", f.staff,
			map[string]any{"title": "Hypertension", "begdate": "2020-01-02", "diagnosis": "ICD10:I10"}, 201))
		f.call("GET", "/api/medical_problem/{muuid}", "/api/medical_problem/"+mp.UUID, f.staff, nil, 200)
		f.call("DELETE", "/api/patient/{puuid}/medical_problem/{muuid}", pp+"/medical_problem/"+mp.UUID, f.staff, nil, 200)

		ap := decodeIDs(t, f.call("POST", "/api/patient/{pid}/appointment", "/api/patient/"+pt.Pid.String()+"/appointment", f.staff, map[string]any{
			"pc_catid": "5", "pc_title": "Office Visit", "pc_duration": "900", "pc_hometext": "Annual",
			"pc_apptstatus": "-", "pc_eventDate": "2025-05-06", "pc_startTime": "09:15", "pc_facility": fac.ID.String(),
			"pc_billing_location": fac.ID.String(), "pc_aid": pr.ID.String()}, 201))
		f.call("GET", "/api/appointment", "/api/appointment", f.staff, nil, 200)

		doc := decodeIDs(t, f.call("POST", "/api/patient/{pid}/document", "/api/patient/"+pt.Pid.String()+"/document?path=medical_record", f.staff,
			upload("document", "result.txt", "potassium 4.1"), 201))
		f.call("GET", "/api/patient/{pid}/document", "/api/patient/"+pt.Pid.String()+"/document?path=medical_record", f.staff, nil, 200)
		f.call("GET", "/api/patient/{pid}/document/{did}", "/api/patient/"+pt.Pid.String()+"/document/"+doc.ID.String(), f.staff, nil, 200)

		f.call("GET", "/api/list/{list_name}", "/api/list/"+api.ListNames()[0], f.staff, nil, 200)
		f.call("GET", "/api/insurance_type", "/api/insurance_type", f.staff, nil, 200)
		ic := decodeIDs(t, f.call("POST", "/api/insurance_company", "/api/insurance_company", f.staff,
			map[string]any{"name": "Keystone Health", "cms_id": "KH123", "ins_type_code": "2"}, 201))
		f.call("GET", "/api/insurance_company/{iid}", "/api/insurance_company/"+ic.IID.String(), f.staff, nil, 200)

		// The portal: the patient's own records through a patient token.
		ptok := f.ti.Token(authz.Claims{Scope: "api:port patient/*.read", Patient: pt.UUID, Role: authz.RolePatient, Subject: "pt"})
		f.call("GET", "/portal/patient", "/portal/patient", ptok, nil, 200)
		f.call("GET", "/portal/patient/encounter", "/portal/patient/encounter", ptok, nil, 200)
		f.call("GET", "/portal/patient/encounter/{euuid}", "/portal/patient/encounter/"+enc.UUID, ptok, nil, 200)
		f.call("GET", "/portal/patient/appointment", "/portal/patient/appointment", ptok, nil, 200)
		f.call("GET", "/portal/patient/appointment/{uuid}", "/portal/patient/appointment/"+ap.UUID, ptok, nil, 200)
		f.call("GET", "/portal/patient", "/portal/patient", "", nil, 401)
		f.call("GET", "/portal/patient", "/portal/patient", f.staff, nil, 403)
		f.call("GET", "/portal/patient/encounter/{euuid}", "/portal/patient/encounter/0b7c1a6e-0000-4000-8000-000000000000", ptok, nil, 404)
	})
}
