package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// TestSetupObeyedByAnotherNode: two whole servers on one PostgreSQL
// database, the standard JSON API off (the default) and so answering 404 on
// both. An administrator switches it on at node 1's setup page: node 1
// answers at once; node 2, whose clock stands still, keeps answering from
// its cached settings until its clock passes the cache's TTL, and then, the
// settings epoch read again, answers too. Switched off again on node 1, it
// stops answering on node 2 the same way.
func TestSetupObeyedByAnotherNode(t *testing.T) {
	if !slices.Contains(storetest.Dialects(), "postgres") {
		t.Skipf("several nodes need PostgreSQL; set %s", storetest.EnvPostgres)
	}
	dsn := storetest.DSN(t, "postgres")
	one := newNode(t, dsn, nil)
	clock := storetest.NewClock(time.Now())
	two := testenv.StartDSN(t, dsn, func(c *server.Config) {
		c.Passwords, c.Now = auth.PBKDF2{Iterations: 1000}, clock.Now
	})
	nodes := []*testenv.Server{one.Server, two}
	tokens := map[*testenv.Server]string{}
	for _, s := range nodes {
		tokens[s] = s.Token("api:oemr user/patient.read", "")
	}
	answers := func(node, want int, when string) {
		t.Helper()
		s := nodes[node-1]
		if r := s.Do("GET", "/api/patient", tokens[s], ""); r.Status != want {
			t.Fatalf("%s, node %d: /api/patient %d %s, want %d", when, node, r.Status, r.Body, want)
		}
	}
	answers(1, 404, "at the start")
	answers(2, 404, "at the start")

	b := one.browser(t)
	b.Login("/admin/login", adminUser, adminPass)
	setStandardAPI := func(on bool) {
		t.Helper()
		form := url.Values{"csrf": {b.CSRF("/admin/setup")}, "app_approval": {"auto"},
			"site_address": {one.URL}}
		if on {
			form.Set("standard_api", "on")
		}
		status, _, res := b.Post("/admin/setup", form)
		if status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/setup?saved=1" {
			t.Fatalf("setup: status %d location %q", status, res.Header.Get("Location"))
		}
	}

	setStandardAPI(true)
	answers(1, 200, "switched on at node 1")
	answers(2, 404, "switched on at node 1, node 2's cache within its TTL")
	clock.Advance(store.DefaultSettingsTTL)
	answers(2, 200, "switched on at node 1, node 2's cache past its TTL")

	setStandardAPI(false)
	answers(1, 404, "switched off again at node 1")
	answers(2, 200, "switched off again at node 1, node 2's cache within its TTL")
	clock.Advance(store.DefaultSettingsTTL)
	answers(2, 404, "switched off again at node 1, node 2's cache past its TTL")
}
