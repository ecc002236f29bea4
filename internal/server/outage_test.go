package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// outageDB is a database of its own on the test server, so that the test
// can take it away (rename it, after ending its sessions) and give it back
// without touching the databases other tests use.
type outageDB struct {
	t     *testing.T
	admin *sql.DB
	name  string
	DSN   string
}

func newOutageDB(t *testing.T) *outageDB {
	t.Helper()
	base := os.Getenv(storetest.EnvPostgres)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "emp_outage_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db := &outageDB{t: t, admin: admin, name: name, DSN: u.String()}
	t.Cleanup(func() {
		for _, n := range []string{name, name + "_away"} {
			admin.Exec("DROP DATABASE IF EXISTS " + n + " WITH (FORCE)")
		}
		admin.Close()
	})
	return db
}

// down ends every session of the database and renames it, so that new
// connections find no database: the node's pool sees what it sees when
// the server restarts or the network drops. A session that reconnects
// between the two steps makes the rename fail; it is simply done again.
func (d *outageDB) down() {
	d.t.Helper()
	var err error
	for range 50 {
		if _, err = d.admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, d.name); err != nil {
			d.t.Fatal(err)
		}
		if _, err = d.admin.Exec("ALTER DATABASE " + d.name + " RENAME TO " + d.name + "_away"); err == nil {
			return
		}
	}
	d.t.Fatalf("take the database away: %v", err)
}

func (d *outageDB) up() {
	d.t.Helper()
	if _, err := d.admin.Exec("ALTER DATABASE " + d.name + "_away RENAME TO " + d.name); err != nil {
		d.t.Fatal(err)
	}
}

// TestDatabaseOutageAnswers503AndRecovers: while the database is away a
// read is answered 503 with Retry-After and an OperationOutcome (not 500);
// the audit row of a read answered just before is kept in the node's spool
// and written once the database is back; and the node serves again by
// itself, with no restart.
func TestDatabaseOutageAnswers503AndRecovers(t *testing.T) {
	onPostgres(t, func(t *testing.T, _ string) {
		db := newOutageDB(t)
		srv := httptest.NewUnstartedServer(nil)
		app, err := server.Open(context.Background(), server.Config{DB: db.DSN, BaseURL: "http://" + srv.Listener.Addr().String(),
			AuditSpool: filepath.Join(t.TempDir(), "audit-spool"), DBMaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = app.Handler
		srv.Start()
		defer func() { srv.Close(); app.Close() }()
		if got := app.Store.MaxConns(); got != 4 {
			t.Fatalf("the pool opens up to %d connections, want DBMaxConns 4", got)
		}
		ts := wrap(t, &testenv.Server{T: t, App: app, HTTP: srv})
		tok := ts.token("user/*.cruds", "")
		r := ts.do("POST", "/fhir/r4/Patient", tok, `{"resourceType":"Patient","name":[{"family":"Outage"}]}`)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		// The JSON faces are switched on, and each has its token: staff for
		// /api/, the patient for /portal/.
		for _, k := range []string{server.SettingStandardAPI, server.SettingPortalAPI} {
			if err := app.Store.SetSetting(context.Background(), k, "on"); err != nil {
				t.Fatal(err)
			}
		}
		tokens := map[string]string{
			"/fhir/": tok,
			"/api/":  ts.token("api:oemr user/*.read", ""),
			"/portal/": ts.Mint(server.TokenRequest{Subject: "pt", ClientID: "test-client", Scope: "api:port patient/*.read",
				Patient: id, Role: "patient", TTL: time.Hour}),
		}
		for _, path := range []string{"/api/patient", "/portal/patient"} {
			if r := ts.do("GET", path, tokens[path[:strings.IndexByte(path[1:], '/')+2]], ""); r.status != 200 {
				t.Fatalf("GET %s before the outage: %d %s", path, r.status, r.body)
			}
		}
		app.Store.FlushAudit()

		if r := ts.do("GET", "/fhir/r4/Patient/"+id, tok, ""); r.status != 200 {
			t.Fatalf("read before the outage: %d", r.status)
		}
		db.down()
		app.Store.FlushAudit() // the read's audit row: the database is away, so to the spool
		if n, _ := app.Store.AuditSpooled(); n != 1 {
			t.Fatalf("%d audit events spooled during the outage, want the read's", n)
		}
		// Every face answers 503 with Retry-After, each in its own format:
		// the JSON faces' switches are settings the database holds, and a
		// switch that cannot be read is an outage, not a face switched off.
		for _, path := range []string{"/fhir/r4/Patient/" + id, "/fhir/r4/Patient?family=outage", "/api/patient", "/api/patient/" + id,
			"/apis/default/api/patient", "/portal/patient", "/apis/default/portal/patient"} {
			face := strings.TrimPrefix(path, "/apis/default")
			face = face[:strings.IndexByte(face[1:], '/')+2]
			r := ts.do("GET", path, tokens[face], "")
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
				t.Fatalf("GET %s during the outage: %d (Retry-After %q) %s", path, r.status, r.header.Get("Retry-After"), r.body)
			}
			if face == "/fhir/" && (!strings.Contains(string(r.body), `"OperationOutcome"`) || !strings.Contains(string(r.body), "transient")) {
				t.Fatalf("GET %s during the outage: not a transient OperationOutcome: %s", path, r.body)
			}
			if face != "/fhir/" {
				var env struct {
					Message        string `json:"message"`
					InternalErrors []string
				}
				if err := json.Unmarshal(r.body, &env); err != nil || !strings.Contains(env.Message, "unavailable") || len(env.InternalErrors) != 0 {
					t.Fatalf("GET %s during the outage: not the API envelope of an unavailable database (%v): %s", path, err, r.body)
				}
			}
			if strings.Contains(string(r.body), "emp_outage_") || strings.Contains(string(r.body), "SQLSTATE") {
				t.Fatalf("GET %s during the outage tells the client the cause: %s", path, r.body)
			}
		}
		// The portal's pages too: a page behind a sign-in looks its
		// session up in the database, and says to come back shortly.
		page := ts.do("GET", "/portal/home", "", "", "Cookie", "emp_portal="+strings.Repeat("a", 43))
		if page.status != http.StatusServiceUnavailable || page.header.Get("Retry-After") == "" || !strings.Contains(page.header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET /portal/home with a session during the outage: %d (Retry-After %q, %s) %s", page.status,
				page.header.Get("Retry-After"), page.header.Get("Content-Type"), page.body)
		}
		// The spool is on the node's /metrics (read here from the handler
		// itself: the route asks the database whose token it is).
		rec := httptest.NewRecorder()
		app.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		// At least the read's event (those of the refused requests may be
		// recorded after their answers).
		var n int
		if _, err := fmt.Sscanf(rec.Body.String()[strings.Index(rec.Body.String(), "\nemp_audit_spool_events ")+1:], "emp_audit_spool_events %d", &n); err != nil || n < 1 {
			t.Fatalf("/metrics during the outage does not count the spooled event (%v):\n%s", err, rec.Body.String())
		}

		db.up()
		if r := ts.do("GET", "/fhir/r4/Patient/"+id, tok, ""); r.status != 200 {
			t.Fatalf("read after the outage: %d %s", r.status, r.body)
		}
		app.Store.FlushAudit()
		if n, _ := app.Store.AuditSpooled(); n != 0 {
			t.Fatalf("%d audit events still spooled after the outage", n)
		}
		evs, err := app.Store.ListAudit(context.Background(), store.AuditFilter{PathPrefix: "/fhir/r4/Patient/" + id})
		if err != nil {
			t.Fatal(err)
		}
		reads := 0
		for _, ev := range evs {
			if ev.Status == 200 {
				reads++
			}
		}
		if reads != 2 {
			t.Fatalf("%d audit rows of the two reads answered 200, want 2: %+v", reads, evs)
		}
	})
}
