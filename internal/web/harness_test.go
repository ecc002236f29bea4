package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhirapi"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/web"
)

// site is a whole emp on an httptest server: the store with one synthetic
// patient, the authorization server on the SQL storage in that store (as
// the server wires it, so both databases are exercised), the FHIR face
// behind the authorization server's gate, and the pages with the demo app.
type site struct {
	URL     string
	Store   *store.Store
	Auth    *auth.Server
	Storage *store.Store
	Web     *web.Site
	Patient string // the seeded patient's id
	DemoApp string // the demo app's client id
	server  *httptest.Server
	// skew moves the pages' clock forward (session timeouts).
	skew atomic.Int64
}

// advance moves the pages' clock forward by d.
func (s *site) advance(d time.Duration) { s.skew.Add(int64(d)) }

// Accounts every harness has.
const (
	adminUser, adminPass     = "admin", "admin-password"
	clinUser, clinPass       = "doctor", "doctor-password"
	patientUser, patientPass = "patient", "patient-password"
)

func newSite(t testing.TB, dialect string) *site {
	t.Helper()
	return newNode(t, storetest.DSN(t, dialect), nil)
}

// newNode starts an emp on the database dsn. With first nil it seeds the
// database; otherwise it is a second node of first's cluster, sharing its
// database (and so its sessions, users and settings) but nothing in memory.
func newNode(t testing.TB, dsn string, first *site) *site {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &site{Store: st, Storage: st}
	if first != nil {
		s.Patient = first.Patient
	} else {
		s.Patient = seedOnePatient(t, st)
	}

	var handler atomic.Value
	s.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(s.server.Close)
	s.URL = s.server.URL
	fhirBase := s.URL + fhirapi.Prefix

	hasher := auth.PBKDF2{Iterations: 1000}
	keys := authz.NewKeyRing(st, time.Now, nil)
	now := func() time.Time { return time.Now().Add(time.Duration(s.skew.Load())) }
	// The sign-in throttle in the database, on the pages' clock, as the
	// server wires it.
	throttle := loginthrottle.New(st, now, st.RecordAccess)
	s.Auth, err = auth.New(auth.Config{Storage: s.Storage, Keys: keys, Issuer: s.URL, FHIRBase: fhirBase, Passwords: hasher,
		Now: now, Audit: st, Throttle: throttle, Patients: directory{st}})
	if err != nil {
		t.Fatal(err)
	}
	fh, err := fhirapi.New(fhirapi.Config{Store: st, Gate: s.Auth.Verifier(), BaseURL: fhirBase})
	if err != nil {
		t.Fatal(err)
	}
	s.Web, err = web.New(web.Config{Auth: s.Auth, Storage: s.Storage, Store: st, BaseURL: s.URL, Demo: true, Passwords: hasher,
		Now: now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(fhirapi.Prefix+"/", fh)
	s.Auth.Mount(mux)
	s.Web.Mount(mux)
	// The root page and the styled 404s, wired as the server wires them.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s.Web.Home(w, r, web.HomeLinks{FHIRBase: fhirBase, Discovery: fhirBase + "/.well-known/smart-configuration",
			Metadata: fhirBase + "/metadata", Register: s.URL + "/register", Admin: s.URL + "/admin/", Portal: s.URL + "/patientlogin.aspx"})
	})
	handler.Store(s.Web.StyledNotFound(mux))

	if s.DemoApp, err = s.Web.EnsureDemoClient(ctx); err != nil {
		t.Fatal(err)
	}
	if first != nil {
		return s
	}
	for _, u := range []auth.NewUser{
		{Username: adminUser, Password: adminPass, Role: authz.RoleAdmin, Name: "Ada Admin"},
		{Username: clinUser, Password: clinPass, Role: authz.RoleClinician, Name: "Dr Who"},
	} {
		if _, err := s.Auth.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Auth.AddPatientUser(ctx, auth.NewPatientUser{Username: patientUser, Password: patientPass,
		Patient: s.Patient, Name: "The Patient"}); err != nil {
		t.Fatal(err)
	}
	return s
}

// seedOnePatient loads the synthetic records of one patient and returns
// the Patient's id.
func seedOnePatient(t testing.TB, st *store.Store) string {
	t.Helper()
	var items []store.ImportItem
	patient := ""
	_, err := seed.Generate(context.Background(), seed.Options{Patients: 1, Seed: 7, Now: time.Now()}, func(r seed.Resource) error {
		o, err := fhirjson.Decode(r.Body)
		if err != nil {
			return err
		}
		if r.Type == "Patient" {
			patient = r.ID
		}
		items = append(items, store.ImportItem{Type: r.Type, ID: r.ID, Resource: o})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Import(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	return patient
}

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so a test sees each answer.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (s *site) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: s.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a page and returns the status, the body and the response.
func (b *browser) get(path string) (int, string, *http.Response) {
	b.t.Helper()
	res, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, res)
}

// post sends a form as the page's own (same-origin) form would.
func (b *browser) post(path string, form url.Values) (int, string, *http.Response) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, res)
}

// csrf loads a page and returns the CSRF token of its first form.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body, _ := b.get(path)
	const marker = `name="csrf" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// login signs in at an admin or portal login page.
func (b *browser) login(path, user, pass string) {
	b.t.Helper()
	status, _, _ := b.post(path, url.Values{"csrf": {b.csrf(path)}, "username": {user}, "password": {pass}})
	if status != http.StatusSeeOther {
		b.t.Fatalf("sign-in as %s at %s: status %d", user, path, status)
	}
}

func read(t testing.TB, res *http.Response) (int, string, *http.Response) {
	t.Helper()
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, sb.String(), res
}

// directory lets the authorization server's patient picker find the
// store's patients by name, as the server wires it.
type directory struct{ st *store.Store }

func (d directory) SearchPatients(ctx context.Context, query string, limit int) ([]auth.PatientSummary, error) {
	params := url.Values{"_count": {strconv.Itoa(limit)}}
	for _, w := range strings.Fields(query) {
		params.Add("name", w)
	}
	q, err := search.Parse("Patient", params, search.Options{})
	if err != nil {
		return nil, err
	}
	res, err := d.st.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []auth.PatientSummary
	for _, r := range res.Resources {
		out = append(out, summary(r))
	}
	return out, nil
}

func (d directory) Patient(ctx context.Context, id string) (auth.PatientSummary, error) {
	r, err := d.st.Read(ctx, "Patient", id, search.Compartment{})
	if err != nil {
		return auth.PatientSummary{}, err
	}
	return summary(r), nil
}

func summary(r *store.Resource) auth.PatientSummary {
	var p struct {
		Name []struct {
			Family string   `json:"family"`
			Given  []string `json:"given"`
		} `json:"name"`
		BirthDate, Gender string
	}
	json.Unmarshal(r.Body, &p)
	s := auth.PatientSummary{ID: r.ID, BirthDate: p.BirthDate, Gender: p.Gender}
	if len(p.Name) > 0 {
		s.Name = strings.TrimSpace(strings.Join(append(p.Name[0].Given, p.Name[0].Family), " "))
	}
	return s
}
