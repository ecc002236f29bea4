package bulk_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/authz/authztest"
	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/httpbrowser"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// seedTime is when the synthetic records were loaded.
var seedTime = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// env is one test's server: a store with seeded patients, the bulk
// endpoints on a real HTTP server, and a token issuer.
type env struct {
	t      *testing.T
	st     *store.Store
	srv    *httptest.Server
	mux    *http.ServeMux
	issuer *authztest.Issuer
	clock  *storetest.Clock
	base   string
	dir    string
	// inDB keeps the files in the database (bulk.DBStore) rather than
	// in dir.
	inDB bool
}

// fileStores are the two places export files are kept.
var fileStores = []string{"dir", "db"}

// eachFileStore runs fn on each dialect with each file store.
func eachFileStore(t *testing.T, patients int, fn func(t *testing.T, e *env)) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		for _, fs := range fileStores {
			t.Run(fs, func(t *testing.T) {
				e := newEnv(t, dialect, patients)
				e.inDB = fs == "db"
				fn(t, e)
			})
		}
	})
}

// files is the env's file store. Its chunks are small, so that the files
// of the small exports of the tests span many.
func (e *env) files() bulk.FileStore {
	if e.inDB {
		return bulk.DBStore{Store: e.st, ChunkBytes: 4096}
	}
	return bulk.DirStore{Dir: e.dir}
}

// stored counts what the file store holds of the job: files in its folder,
// or chunks in the database (committed or not).
func (e *env) stored(job string) int {
	e.t.Helper()
	if e.inDB {
		n, _, err := e.st.BulkChunkUsage(context.Background(), job)
		if err != nil {
			e.t.Fatal(err)
		}
		return int(n)
	}
	entries, err := os.ReadDir(filepath.Join(e.dir, job))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	return len(entries)
}

// jobOf is the job id of a status URL.
func (e *env) jobOf(statusURL string) string {
	return strings.TrimPrefix(statusURL, e.base+"/$bulkdata-status?job=")
}

const testAudience = "https://ehr.test/fhir/r4"

// newEnv seeds patients synthetic patients into a fresh store of the
// dialect.
func newEnv(t *testing.T, dialect string, patients int) *env {
	t.Helper()
	c := storetest.NewClock(seedTime)
	st := storetest.Open(t, dialect, store.Options{Now: c.Now})
	storetest.Seed(t, st, seed.Options{Patients: patients, Seed: 11, Now: seedTime})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.Set(seedTime.Add(time.Minute))
	return &env{t: t, st: st, srv: srv, mux: mux, clock: c, base: srv.URL + "/fhir/r4", dir: t.TempDir(),
		issuer: authztest.NewIssuer(t, "https://ehr.test", testAudience)}
}

// service builds the bulk service over the env; adjust changes the config
// before it is built.
func (e *env) service(adjust func(*bulk.Config)) *bulk.Service {
	e.t.Helper()
	cfg := bulk.Config{
		Store: e.st, Gate: e.issuer.Verifier(), BaseURL: e.base, Files: e.files(), Now: e.clock.Now,
		MinPoll: -1, Idle: 20 * time.Millisecond, RetryAfter: time.Second,
	}
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := bulk.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// serve registers the service's routes (once per env) and starts a runner
// stopped at the end of the test.
func (e *env) serve(s *bulk.Service) *bulk.Runner {
	e.t.Helper()
	s.Routes(e.mux, "/fhir/r4")
	return e.startRunner(s)
}

func (e *env) startRunner(s *bulk.Service) *bulk.Runner {
	e.t.Helper()
	r, err := s.NewRunner()
	if err != nil {
		e.t.Fatal(err)
	}
	r.Start(context.Background())
	e.t.Cleanup(r.Stop)
	return r
}

func (e *env) token(client, scopes string) string {
	return e.issuer.Token(authz.Claims{ClientID: client, Subject: client, Scope: scopes})
}

// do sends a request; headers are name, value pairs.
func (e *env) do(method, url, token string, body []byte, headers ...string) *http.Response {
	e.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = e.srv.URL + url
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httpbrowser.Request(e.t, method, url, token, rd, headers...)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// kickoff starts an export with the usual headers and returns the status
// URL, failing the test unless the answer is 202.
func (e *env) kickoff(token, path string) string {
	e.t.Helper()
	resp := e.do("GET", path, token, nil, "Accept", "application/fhir+json", "Prefer", "respond-async")
	body := readAll(e.t, resp)
	if resp.StatusCode != http.StatusAccepted {
		e.t.Fatalf("kick-off %s: %d %s", path, resp.StatusCode, body)
	}
	loc := resp.Header.Get("Content-Location")
	if !strings.HasPrefix(loc, e.base+"/$bulkdata-status?job=") {
		e.t.Fatalf("kick-off %s: Content-Location %q", path, loc)
	}
	return loc
}

// wait polls the status URL until the export is done and returns the
// manifest.
func (e *env) wait(token, statusURL string) *bulk.Manifest {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp := e.do("GET", statusURL, token, nil)
		body := readAll(e.t, resp)
		switch resp.StatusCode {
		case http.StatusAccepted:
			if resp.Header.Get("X-Progress") == "" || resp.Header.Get("Retry-After") == "" {
				e.t.Fatalf("202 without X-Progress or Retry-After: %v", resp.Header)
			}
			time.Sleep(20 * time.Millisecond)
			continue
		case http.StatusOK:
			if resp.Header.Get("Expires") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				e.t.Fatalf("manifest headers: %v", resp.Header)
			}
			var m bulk.Manifest
			if err := json.Unmarshal(body, &m); err != nil {
				e.t.Fatalf("manifest: %v: %s", err, body)
			}
			if !m.RequiresAccessToken || m.TransactionTime == "" || m.Request == "" || m.Output == nil || m.Error == nil {
				e.t.Fatalf("manifest misses required fields: %s", body)
			}
			return &m
		default:
			e.t.Fatalf("poll: %d %s", resp.StatusCode, body)
		}
	}
	e.t.Fatal("export did not finish in time")
	return nil
}

// download fetches every output file of the manifest, checks that each line
// parses and has the file's type, and that the counts match, and returns
// the resources by type.
func (e *env) download(token string, m *bulk.Manifest) map[string][]map[string]any {
	e.t.Helper()
	out := map[string][]map[string]any{}
	for _, f := range m.Output {
		if !strings.HasPrefix(f.URL, e.base+"/") {
			e.t.Fatalf("file URL %q is not absolute under the base", f.URL)
		}
		resp := e.do("GET", f.URL, token, nil, "Accept", "application/fhir+ndjson")
		body := readAll(e.t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/fhir+ndjson" {
			e.t.Fatalf("download %s: %d %s %s", f.URL, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		n := int64(0)
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var res map[string]any
			if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
				e.t.Fatalf("%s line %d does not parse: %v", f.URL, n+1, err)
			}
			if res["resourceType"] != f.Type {
				e.t.Fatalf("%s holds a %v", f.URL, res["resourceType"])
			}
			out[f.Type] = append(out[f.Type], res)
			n++
		}
		if n != f.Count {
			e.t.Fatalf("%s: %d lines, manifest says %d", f.URL, n, f.Count)
		}
	}
	return out
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ids lists the ids of resources, failing on a duplicate.
func ids(t *testing.T, list []map[string]any) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range list {
		id, _ := r["id"].(string)
		if seen[id] {
			t.Fatalf("%v/%s is exported twice", r["resourceType"], id)
		}
		seen[id] = true
	}
	return seen
}
