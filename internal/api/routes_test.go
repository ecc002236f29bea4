package api_test

import (
	"github.com/emedpractice/emp/internal/api"
	"strings"
	"testing"
)

// TestRouteTable checks that the table is well formed: every route but the
// public ones names a scope resource, has a success status and a response
// type, and no two routes share a method and path.
func TestRouteTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range api.Routes() {
		key := r.Method + " " + r.Path
		if seen[key] {
			t.Errorf("duplicate route %s", key)
		}
		seen[key] = true
		if r.Status != 200 && r.Status != 201 {
			t.Errorf("%s: status %d", key, r.Status)
		}
		if r.Response == nil {
			t.Errorf("%s: no response type", key)
		}
		if r.Resource == "" && r.Path != "/version" {
			t.Errorf("%s: no scope resource", key)
		}
		if (r.Method == "POST" || r.Method == "PUT") && r.Request == nil && !r.Multipart {
			t.Errorf("%s: no request type", key)
		}
		if strings.HasSuffix(r.Path, "/") {
			t.Errorf("%s: trailing slash", key)
		}
	}
	api.New(api.Config{}) // the mux panics on conflicting patterns
	for _, r := range api.Routes() {
		if r.Path == "/patient/{pid}/encounter/{eid}/vital/{vid}" {
			if got := strings.Join(r.PathParams(), ","); got != "pid,eid,vid" {
				t.Errorf("PathParams = %s", got)
			}
		}
	}
}

// TestMethodNotAllowed checks that a known path asked with a method it does
// not take answers 405 in the envelope.
func TestMethodNotAllowed(t *testing.T) {
	e := newTestEnv(t, "sqlite")
	a := e.must(405, "DELETE", "/api/patient/1", e.staff, nil)
	if a.Message == "" || !strings.Contains(a.Header.Get("Allow"), "GET") {
		t.Errorf("405: %s %v", a.Raw, a.Header)
	}
	a = e.must(200, "GET", "/api/version", "", nil)
	if !strings.Contains(string(a.Raw), `"links":{}`) {
		t.Errorf("one record's envelope: %s", a.Raw)
	}
}
