package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// clusterBase is the one site address every node of a test cluster serves
// under, as nodes behind one proxy do; each node still listens on its own
// port, and a cookie jar ignores ports, as a browser behind a round-robin
// proxy would send one cookie to every node.
const clusterBase = "http://127.0.0.1"

// node is one server of a cluster.
type node struct {
	app *server.App
	srv *httptest.Server
}

// startCluster opens n servers on one database at once: the goroutines
// are released together, so migration, key creation and first-use settings
// race as they do when an operator starts several nodes.
func startCluster(t *testing.T, dsn string, n int, cfg server.Config) []node {
	t.Helper()
	return openNodes(t, dsn, n, cfg, true)
}

// openNodes opens n servers on one database, all at once when together
// is set, else one after the other (two stores of one SQLite file in one
// process: that file's locking serialises their writers, not their opening).
func openNodes(t *testing.T, dsn string, n int, cfg server.Config, together bool) []node {
	t.Helper()
	nodes := make([]node, n)
	errc := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		open := func() {
			defer wg.Done()
			<-start
			c := cfg
			c.DB, c.BaseURL = dsn, clusterBase
			c.Passwords = auth.PBKDF2{Iterations: 1000}
			app, err := server.Open(context.Background(), c)
			if err != nil {
				errc[i] = err
				return
			}
			nodes[i] = node{app: app, srv: httptest.NewServer(app.Handler)}
		}
		if together {
			go open()
		} else {
			close(start)
			open()
			start = make(chan struct{})
		}
	}
	close(start)
	wg.Wait()
	t.Cleanup(func() {
		for _, nd := range nodes {
			if nd.app != nil {
				nd.srv.Close()
				nd.app.Close()
			}
		}
	})
	for i, err := range errc {
		if err != nil {
			t.Fatalf("node %d: open: %v", i, err)
		}
	}
	return nodes
}

// onPostgres runs a test of several nodes: only PostgreSQL serves several
// nodes (a SQLite file belongs to one process), so without
// EMP_TEST_POSTGRES there is nothing to run.
func onPostgres(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skipf("several nodes need PostgreSQL; set %s", storetest.EnvPostgres)
	}
	t.Run("postgres", func(t *testing.T) { fn(t, "postgres") })
}

// clusterBrowser keeps cookies across nodes (a jar ignores ports) and
// does not follow redirects.
func clusterBrowser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func clusterDo(t *testing.T, c *http.Client, method, u string, form url.Values, bearer string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func formCSRF(t *testing.T, page string) string {
	t.Helper()
	const marker = `name="csrf" value="`
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("no CSRF token on the page")
	}
	rest := page[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestNodesStartedTogetherAgree starts three nodes at once on an empty
// database, round after round, and has each make its secrets at the same
// moment (the pages' CSRF key on a first page view, the signing keys on a
// first token). Whatever the interleaving, a form served by one node is
// accepted by every other, a page session started on one is valid on all,
// an access token minted by one is accepted by all, and all publish the
// same JWKS.
func TestNodesStartedTogetherAgree(t *testing.T) {
	onPostgres(t, func(t *testing.T, dialect string) {
		rounds := 10
		if testing.Short() {
			rounds = 3
		}
		const n = 3
		for round := range rounds {
			nodes := startCluster(t, storetest.DSN(t, dialect), n, server.Config{})
			ctx := context.Background()
			if _, err := nodes[0].app.Auth.AddUser(ctx, auth.NewUser{Username: "boss", Password: "correct horse battery", Role: "admin"}); err != nil {
				t.Fatal(err)
			}
			// First use everywhere at once.
			browsers := make([]*http.Client, n)
			pages := make([]string, n)
			toks := make([]string, n)
			errc := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				browsers[i] = clusterBrowser(t)
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res, err := browsers[i].Get(nodes[i].srv.URL + "/admin/login")
					if err != nil {
						errc[i] = err
						return
					}
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					pages[i] = string(b)
					toks[i], errc[i] = nodes[i].app.MintToken(ctx, server.TokenRequest{Subject: "tester", ClientID: "test-client",
						Scope: "user/*.rs", TTL: time.Hour})
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errc {
				if err != nil {
					t.Fatalf("round %d node %d: %v", round, i, err)
				}
			}
			var jwks0 []byte
			for j, nd := range nodes {
				res, err := http.Get(nd.srv.URL + "/connect/jwks")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if j == 0 {
					jwks0 = b
				} else if !bytes.Equal(b, jwks0) {
					t.Fatalf("round %d: node %d publishes another JWKS than node 0:\n%s\n%s", round, j, b, jwks0)
				}
			}
			for i := range n {
				// The sign-in form from node i, posted to node i+1.
				j := (i + 1) % n
				b := browsers[i]
				status, _ := clusterDo(t, b, "POST", nodes[j].srv.URL+"/admin/login", url.Values{
					"csrf": {formCSRF(t, pages[i])}, "username": {"boss"}, "password": {"correct horse battery"}}, "")
				if status != http.StatusSeeOther {
					t.Fatalf("round %d: node %d's sign-in form refused by node %d: %d", round, i, j, status)
				}
				for k := range n {
					// The session, on every node; the in-session form
					// of one node accepted by the next.
					status, page := clusterDo(t, b, "GET", nodes[k].srv.URL+"/admin/users", nil, "")
					if status != http.StatusOK {
						t.Fatalf("round %d: session from node %d refused by node %d: %d", round, j, k, status)
					}
					if k == n-1 {
						next := (k + 1) % n
						status, _ = clusterDo(t, b, "POST", nodes[next].srv.URL+"/admin/logout", url.Values{"csrf": {formCSRF(t, page)}}, "")
						if status != http.StatusSeeOther {
							t.Fatalf("round %d: node %d's sign-out form refused by node %d: %d", round, k, next, status)
						}
					}
					// Node i's token on node k.
					status, body := clusterDo(t, http.DefaultClient, "GET", nodes[k].srv.URL+"/fhir/r4/Patient?_count=1", nil, toks[i])
					if status != http.StatusOK {
						t.Fatalf("round %d: node %d's token refused by node %d: %d %s", round, i, k, status, body)
					}
				}
			}
			for _, nd := range nodes {
				nd.srv.Close()
				nd.app.Close()
			}
		}
	})
}

// TestDemoSeededOnceByNodesStartedTogether: nodes started with --demo at
// once on an empty database seed the demo data once and make its accounts
// once; none of them fails on the other's rows.
func TestDemoSeededOnceByNodesStartedTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		const n, patients = 2, 3
		nodes := openNodes(t, storetest.DSN(t, dialect), n, server.Config{Demo: true}, dialect == "postgres")
		ctx := context.Background()
		seeded := make([]int64, n)
		errc := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, nd := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var stats seed.Stats
				stats, _, errc[i] = nd.app.SeedDemo(ctx, patients, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
				seeded[i] = int64(stats.Resources)
				if errc[i] == nil {
					_, errc[i] = nd.app.SetupDemo(ctx)
				}
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errc {
			if err != nil {
				t.Fatalf("node %d: %v", i, err)
			}
		}
		if (seeded[0] == 0) == (seeded[1] == 0) {
			t.Fatalf("resources seeded by each node: %v, want one node to seed and the other to find them", seeded)
		}
		if got, err := nodes[1].app.Store.Count(ctx, "Patient"); err != nil || got != patients {
			t.Fatalf("%d patients (%v), want %d", got, err, patients)
		}
		for _, u := range []string{"admin", "clinician"} {
			if _, err := nodes[0].app.Store.UserByUsername(ctx, u); err != nil {
				t.Errorf("demo user %s: %v", u, err)
			}
		}
	})
}
