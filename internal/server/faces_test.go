package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestOneStoreThreeFaces: a patient written through FHIR is read through
// the standard API and the portal API at once; each JSON face answers only
// while its site setting is on.
func TestOneStoreThreeFaces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		ctx := context.Background()
		admin := ts.token("user/*.cruds", "")
		body := `{"resourceType":"Patient","id":"pat1","name":[{"family":"Facette","given":["Ada"]}],"gender":"female","birthDate":"1970-01-02"}`
		if r := ts.do("PUT", "/fhir/r4/Patient/pat1", admin, body); r.status != 201 {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		staff := ts.token("api:oemr user/patient.read", "")
		patient := ts.token("api:port patient/patient.read", "pat1")

		// Off by default: the faces answer 404 everywhere.
		for _, path := range []string{"/api/patient", "/apis/default/api/patient"} {
			if r := ts.do("GET", path, staff, ""); r.status != 404 {
				t.Errorf("%s with standard_api unset: %d", path, r.status)
			}
		}
		if r := ts.do("GET", "/portal/patient", patient, ""); r.status != 404 {
			t.Errorf("/portal/patient with portal_api unset: %d", r.status)
		}

		for _, k := range []string{server.SettingStandardAPI, server.SettingPortalAPI} {
			if err := ts.app.Store.SetSetting(ctx, k, "on"); err != nil {
				t.Fatal(err)
			}
		}
		for _, path := range []string{"/api/patient?lname=Facette", "/apis/default/api/patient?lname=Facette"} {
			r := ts.do("GET", path, staff, "")
			if r.status != 200 || !strings.Contains(string(r.body), `"Facette"`) || !strings.Contains(string(r.body), `"validationErrors"`) {
				t.Errorf("%s: %d %s", path, r.status, r.body)
			}
		}
		if r := ts.do("GET", "/api/patient", "", ""); r.status != 401 {
			t.Errorf("/api/patient without a token: %d", r.status)
		}
		r := ts.do("GET", "/portal/patient", patient, "")
		if r.status != 200 || !strings.Contains(string(r.body), `"Facette"`) {
			t.Errorf("/portal/patient: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/portal/patient", staff, ""); r.status != 403 && r.status != 401 {
			t.Errorf("/portal/patient with a staff token: %d", r.status)
		}

		// The pages are served by the same server.
		for _, path := range []string{"/admin/login", "/patientlogin.aspx", "/register"} {
			r := ts.do("GET", path, "", "")
			if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
			}
		}
	})
}

func TestHomePage(t *testing.T) {
	ts := newTestServer(t, "sqlite")
	html := ts.do("GET", "/", "", "", "Accept", "text/html")
	if html.status != 200 || !strings.Contains(string(html.body), `href="`+ts.app.FHIRBase+`"`) {
		t.Errorf("HTML home: %d %s", html.status, html.body)
	}
	js := ts.do("GET", "/", "", "")
	if js.status != 200 || js.json(t)["fhir"] != ts.app.FHIRBase {
		t.Errorf("JSON home: %d %s", js.status, js.body)
	}
}

func TestSwaggerServed(t *testing.T) {
	ts := newTestServer(t, "sqlite")
	ui := ts.do("GET", "/swagger/index.html", "", "")
	if ui.status != 200 || !strings.Contains(ui.header.Get("Content-Type"), "text/html") {
		t.Fatalf("Swagger UI: %d %s", ui.status, ui.header.Get("Content-Type"))
	}
	doc := ts.do("GET", "/swagger/openapi.json", "", "")
	if doc.status != 200 {
		t.Fatalf("OpenAPI document: %d", doc.status)
	}
	m := doc.json(t)
	paths, _ := m["paths"].(map[string]any)
	if _, ok := paths["/api/patient"]; !ok || !strings.HasPrefix(m["openapi"].(string), "3.1") {
		t.Errorf("document: openapi %v, %d paths", m["openapi"], len(paths))
	}
}
