package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestBulkExportThroughTheWholeServer: a backend-services client gets a
// token from the authorization server and runs a system export end to end
// on the server's own job runner.
func TestBulkExportThroughTheWholeServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		admin := ts.token("user/*.cruds", "")
		for _, body := range []string{
			`{"resourceType":"Patient","id":"p1"}`,
			`{"resourceType":"Patient","id":"p2"}`,
		} {
			id := strings.Split(strings.Split(body, `"id":"`)[1], `"`)[0]
			ts.do("PUT", "/fhir/r4/Patient/"+id, admin, body)
		}
		ts.do("PUT", "/fhir/r4/Observation/o1", admin, `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`)

		_, assert := ts.backendClient("system/*.$export system/Patient.rs system/Observation.rs")
		tr := ts.form("/connect/token", map[string][]string{
			"grant_type": {"client_credentials"}, "scope": {"system/*.$export system/Patient.rs system/Observation.rs"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assert()},
		})
		tok, _ := tr.json(t)["access_token"].(string)
		if tok == "" {
			t.Fatalf("token: %d %s", tr.status, tr.body)
		}
		manifest := ts.export(t, "/fhir/r4/$export?_type=Patient,Observation", tok)
		counts := map[string]int{}
		for _, f := range manifest.Output {
			r := ts.do("GET", strings.TrimPrefix(f.URL, ts.app.BaseURL), tok, "")
			if r.status != 200 {
				t.Fatalf("file %s: %d %s", f.URL, r.status, r.body)
			}
			sc := bufio.NewScanner(bytes.NewReader(r.body))
			n := 0
			for sc.Scan() {
				var res map[string]any
				if err := json.Unmarshal(sc.Bytes(), &res); err != nil || res["resourceType"] != f.Type {
					t.Fatalf("line of %s: %v %s", f.Type, err, sc.Bytes())
				}
				n++
			}
			if n != f.Count {
				t.Errorf("%s: %d lines, manifest says %d", f.Type, n, f.Count)
			}
			counts[f.Type] += n
		}
		if counts["Patient"] != 2 || counts["Observation"] != 1 {
			t.Errorf("exported %v", counts)
		}
		// The CapabilityStatement declares the operations.
		caps := string(ts.do("GET", "/fhir/r4/metadata", "", "").body)
		for _, want := range []string{"OperationDefinition/export", "OperationDefinition/group-export", "CapabilityStatement/bulk-data"} {
			if !strings.Contains(caps, want) {
				t.Errorf("CapabilityStatement lacks %s", want)
			}
		}
	})
}

// exportManifest is what a finished export's status answers.
type exportManifest struct {
	Output []struct {
		Type  string `json:"type"`
		URL   string `json:"url"`
		Count int    `json:"count"`
	} `json:"output"`
}

// export kicks off the export at path, polls its status until it is done
// (as fast as the server's poll interval allows) and returns the manifest.
func (ts *testServer) export(t *testing.T, path, tok string) exportManifest {
	t.Helper()
	k := ts.do("GET", path, tok, "", "Accept", "application/fhir+json", "Prefer", "respond-async")
	if k.status != 202 {
		t.Fatalf("kick-off: %d %s", k.status, k.body)
	}
	status := k.header.Get("Content-Location")
	if !strings.HasPrefix(status, ts.app.FHIRBase+"/$bulkdata-status") {
		t.Fatalf("Content-Location %q", status)
	}
	var manifest exportManifest
	for deadline := time.Now().Add(2 * time.Minute); ; {
		r := ts.do("GET", strings.TrimPrefix(status, ts.app.BaseURL), tok, "")
		if r.status == 200 {
			if err := json.Unmarshal(r.body, &manifest); err != nil {
				t.Fatal(err)
			}
			return manifest
		}
		if r.status != 202 && r.status != 429 || time.Now().After(deadline) {
			t.Fatalf("status: %d %s", r.status, r.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
