package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// clusterReq sends a request with a bearer token and returns the status,
// headers and body.
func clusterReq(t *testing.T, method, u, tok string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Prefer", "respond-async")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// onNode is a URL of the cluster's site address (what the manifest names)
// sent to one node.
func onNode(nd node, u string) string { return nd.srv.URL + strings.TrimPrefix(u, clusterBase) }

// exportOn kicks off a system export on one node and polls another until
// the manifest is ready, the nodes' clock a second on at each poll; it
// returns the status URL and the manifest.
func exportOn(t *testing.T, kick, poll node, tok string, clock *storetest.Clock) (string, exportManifest) {
	t.Helper()
	code, h, body := clusterReq(t, "GET", kick.srv.URL+"/fhir/r4/$export?_type=Patient,Observation", tok)
	if code != 202 {
		t.Fatalf("kick-off: %d %s", code, body)
	}
	status := h.Get("Content-Location")
	for deadline := time.Now().Add(2 * time.Minute); ; {
		clock.Advance(time.Second) // a node answers 429 to polls less than a second apart
		code, _, body := clusterReq(t, "GET", onNode(poll, status), tok)
		if code == 200 {
			var m exportManifest
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			return status, m
		}
		if code != 202 && code != 429 || time.Now().After(deadline) {
			t.Fatalf("status: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestExportFilesServedByEveryNode: on PostgreSQL the export files are kept
// in the database. An export run by node A's worker is polled and
// downloaded, byte for byte the same, from node B, which runs no worker and
// has no file of its own; a cancel on B removes the chunks A wrote, and the
// expiry sweep run on B removes another export's.
func TestExportFilesServedByEveryNode(t *testing.T) {
	onPostgres(t, func(t *testing.T, dialect string) {
		clock := storetest.NewClock(time.Now().UTC())
		nodes := startCluster(t, storetest.DSN(t, dialect), 2, server.Config{Now: clock.Now})
		a, b := nodes[0], nodes[1]
		ctx := context.Background()
		if _, err := server.Seed(ctx, a.app.Store, seed.Options{Patients: 12, Seed: 5, Now: clock.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		stopA, err := a.app.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer stopA()
		tok, err := a.app.MintToken(ctx, server.TokenRequest{Subject: "exporter", ClientID: "export-client",
			Scope: "system/*.$export system/*.rs", TTL: 12 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}

		status, m := exportOn(t, a, b, tok, clock)
		job := strings.TrimPrefix(status, clusterBase+"/fhir/r4/$bulkdata-status?job=")
		chunks, stored, err := b.app.Store.BulkChunkUsage(ctx, job)
		if err != nil || chunks == 0 {
			t.Fatalf("chunks of the export in the database: %d, %v", chunks, err)
		}
		var total int64
		for _, f := range m.Output {
			codeB, _, fromB := clusterReq(t, "GET", onNode(b, f.URL), tok)
			codeA, _, fromA := clusterReq(t, "GET", onNode(a, f.URL), tok)
			if codeB != 200 || codeA != 200 || !bytes.Equal(fromA, fromB) {
				t.Fatalf("%s: %d from B, %d from A, same bytes %v", f.URL, codeB, codeA, bytes.Equal(fromA, fromB))
			}
			lines := 0
			sc := bufio.NewScanner(bytes.NewReader(fromB))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if !json.Valid(sc.Bytes()) || !bytes.Contains(sc.Bytes(), []byte(`"resourceType":"`+f.Type+`"`)) {
					t.Fatalf("%s: a line that is not a %s: %.80s", f.URL, f.Type, sc.Bytes())
				}
				lines++
			}
			if lines != f.Count {
				t.Fatalf("%s: %d lines, manifest says %d", f.URL, lines, f.Count)
			}
			total += int64(len(fromB))
		}
		if total != stored {
			t.Fatalf("downloaded %d bytes, the database holds %d", total, stored)
		}

		// A cancel handled by B deletes what A wrote.
		code, _, body := clusterReq(t, "DELETE", onNode(b, status), tok)
		if code != 202 {
			t.Fatalf("cancel on B: %d %s", code, body)
		}
		if n, _, _ := a.app.Store.BulkChunkUsage(ctx, job); n != 0 {
			t.Fatalf("%d chunks left after the cancel", n)
		}
		if code, _, _ := clusterReq(t, "GET", onNode(a, m.Output[0].URL), tok); code != 404 {
			t.Fatalf("a file of the cancelled export from A: %d", code)
		}

		// The expiry sweep, run by B after A stopped, deletes another
		// export's files.
		status, _ = exportOn(t, a, b, tok, clock)
		job = strings.TrimPrefix(status, clusterBase+"/fhir/r4/$bulkdata-status?job=")
		stopA()
		if n, _, _ := b.app.Store.BulkChunkUsage(ctx, job); n == 0 {
			t.Fatal("the second export stored nothing")
		}
		clock.Advance(2 * time.Hour)
		if err := b.app.Bulk.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := b.app.Store.BulkChunkUsage(ctx, ""); n != 0 {
			t.Fatalf("%d chunks left after the sweep", n)
		}
	})
}
