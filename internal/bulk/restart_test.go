package bulk_test

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
)

// stallingFiles is a file store that, after a number of files were
// started, holds the next one until the worker's context ends: a node
// stopped in the middle of a job.
type stallingFiles struct {
	bulk.FileStore
	after   int
	stalled chan struct{}

	mu      sync.Mutex
	created int
}

func (s *stallingFiles) Create(ctx context.Context, key string) (bulk.FileWriter, error) {
	s.mu.Lock()
	s.created++
	n := s.created
	s.mu.Unlock()
	if n > s.after {
		if n == s.after+1 {
			close(s.stalled)
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.FileStore.Create(ctx, key)
}

func (s *stallingFiles) Open(ctx context.Context, key string) (io.ReadSeekCloser, int64, error) {
	return s.FileStore.Open(ctx, key)
}

// TestRestartMidJob stops the runner in the middle of a job; a new runner
// (another node, or the same after a restart) finishes it, and the files
// hold every resource exactly once.
func TestRestartMidJob(t *testing.T) {
	eachFileStore(t, 2, func(t *testing.T, e *env) {
		stall := &stallingFiles{FileStore: e.files(), after: 3, stalled: make(chan struct{})}
		first := e.service(func(c *bulk.Config) { c.FileLimit = 40; c.Files = stall })
		first.Routes(e.mux, "/fhir/r4")
		tok := e.token("client-r", allScopes)
		status := e.kickoff(tok, "/fhir/r4/$export?_type=Patient,Observation,Encounter")
		r1 := e.startRunner(first)
		<-stall.stalled
		r1.Stop()

		second := e.service(func(c *bulk.Config) { c.FileLimit = 40 })
		e.startRunner(second)
		m := e.wait(tok, status)
		got := e.download(tok, m)
		ctx := context.Background()
		for _, typ := range []string{"Patient", "Observation", "Encounter"} {
			want, _ := e.st.Count(ctx, typ)
			if n := int64(len(ids(t, got[typ]))); n != want {
				t.Errorf("%s: %d exported after the restart, %d stored", typ, n, want)
			}
		}
		if len(m.Output) <= stall.after {
			t.Fatalf("only %d files: the job was not cut in the middle", len(m.Output))
		}
	})
}

// TestTakeOverFromDeadNode: a job leased by a node that died (and so never
// gave it up) is taken over once the lease runs out.
func TestTakeOverFromDeadNode(t *testing.T) {
	eachFileStore(t, 1, func(t *testing.T, e *env) {
		s := e.service(func(c *bulk.Config) { c.Lease = 30 * time.Second })
		s.Routes(e.mux, "/fhir/r4")
		tok := e.token("client-d", allScopes)
		status := e.kickoff(tok, "/fhir/r4/$export?_type=Patient,Observation")
		now := e.clock.Now()
		dead, err := e.st.ClaimBulkJob(context.Background(), "dead-node", now, now.Add(30*time.Second))
		if err != nil || dead == nil {
			t.Fatalf("claim by the node about to die: %v %v", dead, err)
		}
		e.startRunner(s)
		// While the lease holds, nobody else works on the job.
		resp := e.do("GET", status, tok, nil)
		if readAll(t, resp); resp.StatusCode != 202 {
			t.Fatalf("status under the dead node's lease: %d", resp.StatusCode)
		}
		e.clock.Set(now.Add(31 * time.Second))
		m := e.wait(tok, status)
		got := e.download(tok, m)
		for _, typ := range []string{"Patient", "Observation"} {
			want, _ := e.st.Count(context.Background(), typ)
			if n := int64(len(ids(t, got[typ]))); n != want {
				t.Errorf("%s: %d exported, %d stored", typ, n, want)
			}
		}
	})
}
