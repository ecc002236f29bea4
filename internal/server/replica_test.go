package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// TestReadReplicaOverHTTP serves the FHIR face from a primary and a real
// streaming standby: searches and reads are answered by the standby, and
// a user who has just written reads the write back on the next request
// while the standby lags, when another user, answered by the standby, does
// not see it yet.
func TestReadReplicaOverHTTP(t *testing.T) {
	sb := storetest.NewStandby(t)
	env := testenv.StartDSN(t, sb.PrimaryURL, func(c *server.Config) {
		c.DBReplicas = []string{sb.StandbyURL}
		c.DBReplicaMaxLag = time.Hour
		// Reads by id go to the standby only without the read cache,
		// which reads what it keeps from the primary.
		c.ReadCacheMB = 0
	})
	ts := wrap(t, env)
	alice := env.Mint(server.TokenRequest{Subject: "alice", ClientID: "app-one", Scope: "user/*.cruds", TTL: time.Hour})
	bob := env.Mint(server.TokenRequest{Subject: "bob", ClientID: "app-one", Scope: "user/*.cruds", TTL: time.Hour})
	sb.WaitReplayed(t)

	before := sb.StandbyStatements(t, "FROM resources")
	if r := ts.do("GET", "/fhir/r4/Patient?family=nobody", bob, ""); r.status != 200 {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	if sb.StandbyStatements(t, "FROM resources") == before {
		t.Fatal("a search was not answered by the standby")
	}

	sb.PauseReplay(t)
	defer sb.ResumeReplay(t)
	r := ts.do("POST", "/fhir/r4/Patient", alice, `{"resourceType":"Patient","name":[{"family":"Fresh"}]}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	if r := ts.do("GET", "/fhir/r4/Patient/"+id, alice, ""); r.status != 200 {
		t.Fatalf("the writer's own read while the standby lags: %d %s", r.status, r.body)
	}
	if r := ts.do("GET", "/fhir/r4/Patient?family=fresh", alice, ""); r.status != 200 || !strings.Contains(string(r.body), id) {
		t.Fatalf("the writer's own search while the standby lags: %d %s", r.status, r.body)
	}
	if r := ts.do("GET", "/fhir/r4/Patient/"+id, bob, ""); r.status != 404 {
		t.Fatalf("another user's read from the paused standby: %d, want 404 (not replayed yet)", r.status)
	}

	sb.ResumeReplay(t)
	sb.WaitReplayed(t)
	if r := ts.do("GET", "/fhir/r4/Patient/"+id, bob, ""); r.status != 200 {
		t.Fatalf("another user's read once the standby caught up: %d", r.status)
	}
	if st := env.App.Store.ReplicaStats(); st.ReplicaReads() == 0 || st.Primary == 0 {
		t.Fatalf("reads by pool: %+v, want both used", st)
	}
}
