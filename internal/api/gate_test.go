package api_test

import (
	"fmt"
	"github.com/emedpractice/emp/internal/api"
	"net/http"
	"strings"
	"testing"
)

// fillPath puts values into a route's path parameters: the patient and
// encounter ones from the fixture, the last one (the record) from last.
func fillPath(path string, f *fixture, last string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		switch s {
		case "{puuid}":
			segs[i] = f.pa
			if i == len(segs)-1 {
				segs[i] = last
			}
		case "{pid}":
			segs[i] = fmt.Sprint(f.pid)
		case "{eid}":
			if i == len(segs)-1 {
				segs[i] = last
			} else {
				segs[i] = fmt.Sprint(f.eid)
			}
		case "{list_name}":
			segs[i] = "sex"
			if last != "" && i == len(segs)-1 {
				segs[i] = "nosuchlist"
			}
		default:
			segs[i] = last
		}
	}
	return "/api" + strings.Join(segs, "/")
}

// TestGateOnEveryRoute asks every route without a token (401), with a token
// lacking the route's scope (403), and with a staff token naming an unknown
// record (404).
func TestGateOnEveryRoute(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		f := newFixture(t, e)
		for _, r := range api.Routes() {
			if r.Resource == "" {
				continue
			}
			other := "drug"
			if r.Resource == "drug" {
				other = "list"
			}
			wrong := e.token("api:oemr user/" + other + ".cruds")
			path := fillPath(r.Path, f, "0f9c3c5e-0000-4000-8000-000000000000")
			if strings.HasSuffix(r.Path, "$swap-insurance") {
				path += "?type=primary&uuid=0f9c3c5e-0000-4000-8000-000000000000"
			}
			var body any
			if r.Method == http.MethodPost || r.Method == http.MethodPut {
				body = map[string]any{}
			}
			if a := e.do(r.Method, path, "", body); a.Status != 401 {
				t.Errorf("%s %s without a token: %d", r.Method, r.Path, a.Status)
			}
			if a := e.do(r.Method, path, wrong, body); a.Status != 403 {
				t.Errorf("%s %s with the wrong scope: %d", r.Method, r.Path, a.Status)
			}
			if a := e.do(r.Method, path, e.patientToken("api:oemr patient/*.cruds", f.pa), body); a.Status != 403 {
				t.Errorf("%s %s with a patient's token: %d", r.Method, r.Path, a.Status)
			}
			// Unknown records: every route naming one answers 404.
			if strings.HasSuffix(r.Path, "}") && r.Method != http.MethodPost {
				var body any
				if r.Method == http.MethodPut {
					body = map[string]any{}
				}
				a := e.do(r.Method, path, e.staff, body)
				if a.Status != 404 {
					t.Errorf("%s %s for an unknown record: %d %s", r.Method, path, a.Status, a.Raw)
				}
			}
		}
	})
}
