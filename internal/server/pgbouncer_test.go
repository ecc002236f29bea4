package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// pgbouncerPool is PgBouncer's server connections in the test: no more
// than there are nodes, each of which opens many client connections, so
// that one client connection's transactions run on different server
// connections, and so that the nodes could only start together (one
// seeding under the start lock while the other waits) if a waiting node
// holds no server connection.
const pgbouncerPool = 2

// TestServedThroughPgBouncer runs two nodes on one database through
// PgBouncer in transaction pooling mode, configured as docs/operations.md
// says (simple protocol, plan_cache_mode ignored). Started together with
// the demo, they seed it once. Then, from several clients on each node at
// once, creates, cross-node reads, searches and conditional updates through
// FHIR and the JSON API all answer normally. The read cache stays coherent
// through PgBouncer: a version node A wrote is what node B answers, from
// its cache, once B has read the changes since. An export run by A's
// worker is downloaded from B.
func TestServedThroughPgBouncer(t *testing.T) {
	pb := storetest.NewPgBouncer(t, pgbouncerPool)
	defer func() {
		if t.Failed() {
			t.Logf("PgBouncer's log:\n%s", pb.Log())
		}
	}()
	clock := storetest.NewClock(time.Now().UTC())
	nodes := openNodes(t, pb.URL, 2, server.Config{Demo: true, Now: clock.Now, ReadCacheMB: server.DefaultReadCacheMB}, true)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()

	// As emp serve --demo on each node at once: seeded by one.
	const demoPatients = 4
	seeded := make([]int, len(nodes))
	errc := make([]error, len(nodes))
	demoCtx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a hang fails, and says where
	defer cancel()
	var wg sync.WaitGroup
	for i, nd := range nodes {
		wg.Go(func() {
			stats, _, err := nd.app.SeedDemo(demoCtx, demoPatients, clock.Now())
			seeded[i] = stats.Resources
			if err == nil {
				_, err = nd.app.SetupDemo(demoCtx)
			}
			errc[i] = err
		})
	}
	wg.Wait()
	for i, err := range errc {
		if err != nil {
			t.Fatalf("node %d: demo: %v", i, err)
		}
	}
	if (seeded[0] == 0) == (seeded[1] == 0) {
		t.Fatalf("resources seeded by each node: %v, want one to seed", seeded)
	}
	if n, err := b.app.Store.Count(ctx, "Patient"); err != nil || n != demoPatients {
		t.Fatalf("%d patients (%v), want %d", n, err, demoPatients)
	}
	// The nodes read site settings again once their clock has moved on.
	clock.Advance(time.Second)

	stopA, err := a.app.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stopA()
	tok, err := a.app.MintToken(ctx, server.TokenRequest{Subject: "pooled", ClientID: "pooled-client",
		Scope: "api:fhir api:oemr user/*.cruds", Role: "admin", TTL: 12 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	exportTok, err := b.app.MintToken(ctx, server.TokenRequest{Subject: "exporter", ClientID: "export-client",
		Scope: "system/*.$export system/*.rs", TTL: 12 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("concurrent clients", func(t *testing.T) {
		const clients, rounds = 3, 4
		var wg sync.WaitGroup
		for i := range nodes {
			own, other := nodes[i], nodes[1-i]
			for c := range clients {
				wg.Go(func() {
					for r := range rounds {
						if err := pooledRound(own, other, tok, fmt.Sprintf("Pool%c%c%c", 'a'+i, 'a'+c, 'a'+r)); err != nil {
							t.Errorf("node %d client %d round %d: %v", i, c, r, err)
							return
						}
					}
				})
			}
		}
		wg.Wait()
	})

	t.Run("read cache", func(t *testing.T) {
		code, h, body := pooledDo(t, a, "POST", "/fhir/r4/Patient", tok, `{"resourceType":"Patient","name":[{"family":"Cached"}]}`)
		if code != 201 {
			t.Fatalf("create on A: %d %s", code, body)
		}
		id := resourceID(t, body)
		// B keeps version 1: a read fills its cache, the next is a hit.
		caughtUp(t, clock, b)
		for deadline := time.Now().Add(time.Minute); ; {
			hits := b.app.Store.ReadCacheStats().Hits
			if code, _, body := pooledDo(t, b, "GET", "/fhir/r4/Patient/"+id, tok, ""); code != 200 || versionOf(t, body) != "1" {
				t.Fatalf("read on B: %d %s", code, body)
			}
			if b.app.Store.ReadCacheStats().Hits > hits {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("B's read cache never answered")
			}
		}
		code, _, body = pooledDo(t, a, "PUT", "/fhir/r4/Patient/"+id, tok,
			`{"resourceType":"Patient","id":"`+id+`","name":[{"family":"Cached","given":["Two"]}]}`, "If-Match", h.Get("ETag"))
		if code != 200 || versionOf(t, body) != "2" {
			t.Fatalf("update on A: %d %s", code, body)
		}
		// Once B has read the changes committed up to now, it answers
		// version 2, and keeps answering it from its cache.
		caughtUp(t, clock, b)
		hits := b.app.Store.ReadCacheStats().Hits
		for range 2 {
			if code, _, body := pooledDo(t, b, "GET", "/fhir/r4/Patient/"+id, tok, ""); code != 200 || versionOf(t, body) != "2" {
				t.Fatalf("read on B after A's update and B's read of the changes: %d %s", code, body)
			}
		}
		if b.app.Store.ReadCacheStats().Hits == hits {
			t.Error("B answered version 2 from the database only, never from its cache")
		}
	})

	t.Run("export", func(t *testing.T) {
		_, m := exportOn(t, a, b, exportTok, clock)
		if len(m.Output) == 0 {
			t.Fatal("the export wrote no file")
		}
		for _, f := range m.Output {
			code, _, fromB := clusterReq(t, "GET", onNode(b, f.URL), exportTok)
			lines := len(bytes.Split(bytes.TrimSpace(fromB), []byte("\n")))
			if code != 200 || f.Count == 0 || lines != f.Count {
				t.Fatalf("%s from B: %d, %d lines, manifest says %d", f.URL, code, lines, f.Count)
			}
		}
	})

	if n := pb.ServerConnections(t); n > pb.PoolSize {
		t.Fatalf("%d server connections open, PgBouncer's pool is %d: the nodes did not go through it", n, pb.PoolSize)
	}
}

// caughtUp moves the nodes' clock on past the read cache's staleness bound
// and waits until nd's cache answers again: it has then applied a read of
// the changes that began after the move, which saw every transaction
// committed before it.
func caughtUp(t *testing.T, clock *storetest.Clock, nd node) {
	t.Helper()
	clock.Advance(time.Second)
	for deadline := time.Now().Add(time.Minute); !nd.app.Store.ReadCacheStats().Answering; {
		if time.Now().After(deadline) {
			t.Fatalf("the read cache did not read the changes within a minute: %+v", nd.app.Store.ReadCacheStats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pooledRound is one client's round: a patient created on own through
// FHIR, read, searched and updated (If-Match) on other; a patient created
// on other through the JSON API, read and updated on own, and found by a
// search on other.
func pooledRound(own, other node, tok, family string) error {
	code, h, body, err := pooledSend(own, "POST", "/fhir/r4/Patient", tok, `{"resourceType":"Patient","name":[{"family":"`+family+`"}]}`)
	if err != nil || code != 201 {
		return fmt.Errorf("FHIR create: %d %v %s", code, err, body)
	}
	var res struct{ ID string }
	if err := json.Unmarshal(body, &res); err != nil || res.ID == "" {
		return fmt.Errorf("FHIR create: %v %s", err, body)
	}
	steps := []struct {
		what, method, path, body string
		hdr                      []string
		want                     int
		holds                    string
	}{
		{"FHIR read", "GET", "/fhir/r4/Patient/" + res.ID, "", nil, 200, `"` + res.ID + `"`},
		{"FHIR search", "GET", "/fhir/r4/Patient?family=" + family, "", nil, 200, `"` + res.ID + `"`},
		{"FHIR update", "PUT", "/fhir/r4/Patient/" + res.ID,
			`{"resourceType":"Patient","id":"` + res.ID + `","name":[{"family":"` + family + `","given":["Upd"]}]}`,
			[]string{"If-Match", h.Get("ETag")}, 200, `"versionId":"2"`},
		{"FHIR search with _include", "GET", "/fhir/r4/Observation?_count=5&_include=Observation:subject", "", nil, 200, `"Bundle"`},
	}
	for _, s := range steps {
		code, _, body, err := pooledSend(other, s.method, s.path, tok, s.body, s.hdr...)
		if err != nil || code != s.want || !strings.Contains(string(body), s.holds) {
			return fmt.Errorf("%s: %d %v %.300s", s.what, code, err, body)
		}
	}

	code, _, body, err = pooledSend(other, "POST", "/api/patient", tok,
		`{"fname":"Api","lname":"`+family+`","sex":"Female","DOB":"1980-02-03"}`)
	if err != nil || code != 201 {
		return fmt.Errorf("API create: %d %v %s", code, err, body)
	}
	var created struct{ Data struct{ UUID string } }
	if err := json.Unmarshal(body, &created); err != nil || created.Data.UUID == "" {
		return fmt.Errorf("API create: %v %s", err, body)
	}
	uuid := created.Data.UUID
	for _, s := range []struct {
		what, method, path, body string
		on                       node
		holds                    string
	}{
		{"API read", "GET", "/api/patient/" + uuid, "", own, `"` + family + `"`},
		{"API update", "PUT", "/api/patient/" + uuid, `{"city":"Leeds"}`, own, `"Leeds"`},
		{"API search", "GET", "/api/patient?lname=" + family, "", other, `"` + uuid + `"`},
	} {
		code, _, body, err := pooledSend(s.on, s.method, s.path, tok, s.body)
		if err != nil || code != 200 || !strings.Contains(string(body), s.holds) {
			return fmt.Errorf("%s: %d %v %.300s", s.what, code, err, body)
		}
	}
	return nil
}

// pooledSend sends a request to a node with a bearer token and a JSON body
// (FHIR's media type under /fhir/), with extra headers as name, value
// pairs.
func pooledSend(nd node, method, path, tok, body string, hdr ...string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, nd.srv.URL+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	media := "application/json"
	if strings.HasPrefix(path, "/fhir/") {
		media = "application/fhir+json"
	}
	req.Header.Set("Accept", media)
	if body != "" {
		req.Header.Set("Content-Type", media)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b, err
}

// pooledDo is pooledSend that fails the test on a transport error.
func pooledDo(t *testing.T, nd node, method, path, tok, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	code, h, b, err := pooledSend(nd, method, path, tok, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return code, h, b
}

func resourceID(t *testing.T, body []byte) string {
	t.Helper()
	var r struct{ ID string }
	if err := json.Unmarshal(body, &r); err != nil || r.ID == "" {
		t.Fatalf("no id: %v %s", err, body)
	}
	return r.ID
}

func versionOf(t *testing.T, body []byte) string {
	t.Helper()
	var r struct {
		Meta struct{ VersionID string }
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v %s", err, body)
	}
	return r.Meta.VersionID
}
