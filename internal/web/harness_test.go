package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
	"github.com/emedpractice/emp/internal/web"
)

// site is the whole server (package testenv) with the demo app, one
// synthetic patient and the accounts below, on a clock the test can move
// forward, with the names this package's tests use.
type site struct {
	*testenv.Server
	URL     string
	Store   *store.Store
	Auth    *auth.Server
	Storage *store.Store // the authorization server's records: the same store
	Web     *web.Site
	Patient string // the seeded patient's id
	DemoApp string // the demo app's client id
	// Clients is how many clients the site starts with (the demo app and
	// the Swagger UI's).
	Clients int
	clock   testenv.Clock
}

// advance moves the server's clock forward by d (session timeouts).
func (s *site) advance(d time.Duration) { s.clock.Advance(d) }

// Accounts every site has.
const (
	adminUser, adminPass     = "admin", "admin-password"
	clinUser, clinPass       = "doctor", "doctor-password"
	patientUser, patientPass = "patient", "patient-password"
)

func newSite(t testing.TB, dialect string) *site {
	t.Helper()
	return newNode(t, storetest.DSN(t, dialect), nil)
}

// newNode starts a server on the database dsn. With first nil it seeds the
// database; otherwise it is a second node of first's cluster, sharing its
// database (and so its sessions, users and settings) but nothing in memory.
func newNode(t testing.TB, dsn string, first *site) *site {
	t.Helper()
	ctx := context.Background()
	s := &site{}
	s.Server = testenv.StartDSN(t, dsn, func(c *server.Config) {
		c.Demo, c.Passwords, c.Now = true, auth.PBKDF2{Iterations: 1000}, s.clock.Now
	})
	s.URL, s.Store, s.Storage, s.Auth, s.Web = s.HTTP.URL, s.App.Store, s.App.Store, s.App.Auth, s.App.Site
	var err error
	if s.DemoApp, err = s.Web.EnsureDemoClient(ctx); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Storage.Clients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Clients = len(cs)
	if first != nil {
		s.Patient = first.Patient
		return s
	}
	s.Patient = s.SeedPatients(t, 1, 7)[0]
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

// browser is the test environment's browser (it stops at every redirect)
// with the methods the session tests add.
type browser struct{ *testenv.Browser }

func (s *site) browser(t testing.TB) *browser { return &browser{s.Browser(t)} }
