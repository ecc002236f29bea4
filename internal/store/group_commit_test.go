package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// The group commit of creates, on both databases: PostgreSQL's group
// (rerunAlone) and SQLite's writer (savepoints) must answer alike.

func groupObservation(n int) fhirjson.Object {
	return fhirjson.Object{
		"resourceType": "Observation", "status": "final",
		"code":    fhirjson.Object{"coding": []any{fhirjson.Object{"system": "http://loinc.org", "code": fmt.Sprintf("c-%d", n)}}},
		"subject": fhirjson.Object{"reference": "Patient/p1"},
	}
}

// heldCreates holds the runner that creates go through, so that a test
// decides what one batch holds. On PostgreSQL the group gets one runner
// (two would split what the test queues between them).
type heldCreates struct {
	b       *batcher
	queued  chan struct{} // one a write queued
	sizes   chan int      // each batch's size as it starts
	release chan struct{} // closed to let the runner go on
}

// holdCreates holds the runner before it gathers a batch (atGather) or
// after, just before the batch runs.
func holdCreates(t *testing.T, s *Store, atGather bool) *heldCreates {
	t.Helper()
	b := s.batch
	if s.group != nil {
		s.group.close()
		s.group = s.newCreateGroup(1)
		b = s.group
	}
	h := &heldCreates{b: b, queued: make(chan struct{}, 1024), sizes: make(chan int, 1024), release: make(chan struct{})}
	hooks := &batchHooks{
		queued: func() { h.queued <- struct{}{} },
		gather: func() {
			if atGather {
				<-h.release
			}
		},
		ran: func(n int) {
			h.sizes <- n
			if !atGather {
				<-h.release
			}
		},
	}
	b.hooks.Store(hooks)
	t.Cleanup(func() { h.letGo() })
	return h
}

func (h *heldCreates) waitQueued(n int) {
	for range n {
		<-h.queued
	}
}

func (h *heldCreates) letGo() {
	select {
	case <-h.release:
	default:
		close(h.release)
	}
}

// writeQueued queues fn where a create goes: PostgreSQL's group of
// creates (as a write of more than one statement, not pipelined), or
// SQLite's writer.
func writeQueued(s *Store, ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.group != nil {
		return s.group.do(ctx, fn)
	}
	return s.write(ctx, fn)
}

// countRows counts the rows of a query on the primary.
func countRows(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(s.d.rebind(q), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// wantCreated checks that n Observations were written with their version,
// index, compartment and audit rows.
func wantCreated(t *testing.T, s *Store, n int) {
	t.Helper()
	for _, c := range []struct{ what, q string }{
		{"resources", `SELECT COUNT(*) FROM resources WHERE type = 'Observation'`},
		{"versions", `SELECT COUNT(*) FROM resource_versions v JOIN resources r ON r.rid = v.rid WHERE r.type = 'Observation'`},
		{"code index", `SELECT COUNT(*) FROM idx_token x JOIN resources r ON r.rid = x.rid WHERE r.type = 'Observation' AND x.system = 'http://loinc.org'`},
		{"compartment", `SELECT COUNT(*) FROM compartment c JOIN resources r ON r.rid = c.rid WHERE r.type = 'Observation' AND c.patient = 'p1'`},
		{"audit", `SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND type = 'Observation'`},
	} {
		if got := countRows(t, s, c.q); got != n {
			t.Errorf("%s rows = %d, want %d", c.what, got, n)
		}
	}
}

// TestGroupCommitCreates: creates queued together share one batch, and
// many creates from many callers (the store's own runners, nothing held)
// are all written with every row that belongs to them.
func TestGroupCommitCreates(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s := openInternal(t, dsn)
		ctx := context.Background()
		const held = 40
		h := holdCreates(t, s, true)
		var wg sync.WaitGroup
		ids := make([]string, held)
		for i := range held {
			wg.Go(func() {
				r, err := s.Create(ctx, "Observation", groupObservation(i), search.Compartment{})
				if err != nil {
					t.Errorf("create %d: %v", i, err)
					return
				}
				ids[i] = r.ID
			})
		}
		h.waitQueued(held)
		h.letGo()
		wg.Wait()
		if got := <-h.sizes; got != held {
			t.Errorf("batch of %d creates, want one of %d", got, held)
		}
		for i, id := range ids {
			if r, err := s.Read(ctx, "Observation", id, search.Compartment{}); err != nil || r.Version != 1 {
				t.Errorf("read create %d (%s): %v", i, id, err)
			}
		}
		wantCreated(t, s, held)
	})
}

func openInternal(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestGroupCommitManyCallers: creates from many callers at once, through
// the store's own runners, are all written with all their rows.
func TestGroupCommitManyCallers(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s := openInternal(t, dsn)
		const callers, each = 32, 8
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				for i := range each {
					if _, err := s.Create(context.Background(), "Observation", groupObservation(c*each+i), search.Compartment{}); err != nil {
						t.Errorf("create: %v", err)
					}
				}
			})
		}
		wg.Wait()
		wantCreated(t, s, callers*each)
	})
}

var errBoom = errors.New("boom")

// TestGroupCommitIsolatesFailedWrites: a write that fails in a batch (an
// error of its own, or a constraint the database enforces, which on
// PostgreSQL aborts the whole transaction) gets its error and leaves
// nothing behind, and every other write of the batch is written and
// answered as if it had been alone.
func TestGroupCommitIsolatesFailedWrites(t *testing.T) {
	const (
		create = "create" // an ordinary create
		boom   = "boom"   // writes a resource, then fails (a write of its own)
		dup    = "dup"    // a create of an id that exists: Conflict from the database
	)
	tests := []struct {
		name  string
		batch []string
	}{
		// With a write of more than one statement (boom) the batch is
		// one transaction of statements in turn on PostgreSQL.
		{"failures among creates", []string{create, boom, create, dup, create}},
		{"own error last", []string{create, create, boom}},
		{"alone", []string{boom}},
		{"only failures", []string{dup, boom}},
		// Creates alone are pipelined on PostgreSQL.
		{"constraint first", []string{dup, create, create}},
		{"constraint among creates", []string{create, dup, create}},
		{"constraint alone", []string{dup}},
	}
	eachDB(t, func(t *testing.T, dsn string) {
		s := openInternal(t, dsn)
		ctx := context.Background()
		existing, err := s.Create(ctx, "Observation", groupObservation(0), search.Compartment{})
		if err != nil {
			t.Fatal(err)
		}
		created := 1
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				h := holdCreates(t, s, true)
				errc := make([]chan error, len(tc.batch))
				ids := make([]string, len(tc.batch))
				for i, kind := range tc.batch {
					id, err := s.NewID()
					if err != nil {
						t.Fatal(err)
					}
					if kind == dup {
						id = existing.ID
					}
					ids[i] = id
					p, err := prepare("Observation", id, 1, s.now(), groupObservation(i), s.local)
					if err != nil {
						t.Fatal(err)
					}
					errc[i] = make(chan error, 1)
					go func() {
						if kind != boom {
							errc[i] <- s.writeCreateRow(ctx, p, "POST")
							return
						}
						errc[i] <- writeQueued(s, ctx, func(tx *sql.Tx) error {
							if _, err := s.createRow(ctx, tx, p, "POST"); err != nil {
								return err
							}
							return errBoom
						})
					}()
					h.waitQueued(1) // queued in this order
				}
				h.letGo()
				for i, kind := range tc.batch {
					err := <-errc[i]
					switch kind {
					case create:
						if err != nil {
							t.Errorf("write %d (%s): %v", i, kind, err)
						}
						created++
						if _, err := s.Read(ctx, "Observation", ids[i], search.Compartment{}); err != nil {
							t.Errorf("write %d (%s) not readable: %v", i, kind, err)
						}
					case boom:
						if !errors.Is(err, errBoom) {
							t.Errorf("write %d (%s): %v, want %v", i, kind, err, errBoom)
						}
						if _, err := s.Read(ctx, "Observation", ids[i], search.Compartment{}); errs.KindOf(err) != errs.NotFound {
							t.Errorf("write %d (%s) left its resource behind: %v", i, kind, err)
						}
					case dup:
						if errs.KindOf(err) != errs.Conflict {
							t.Errorf("write %d (%s): %v, want Conflict", i, kind, err)
						}
					}
				}
				if got := <-h.sizes; got != len(tc.batch) {
					t.Errorf("batch of %d writes, want %d", got, len(tc.batch))
				}
				h.b.hooks.Store(nil)
				wantCreated(t, s, created)
			})
		}
	})
}

// TestGroupCommitSkipsGoneCallers: a create whose caller has gone before
// its batch runs is answered with the context's error and writes nothing;
// the rest of its batch is written.
func TestGroupCommitSkipsGoneCallers(t *testing.T) {
	tests := []struct {
		name string
		gone []bool // per write in queue order
	}{
		{"first gone", []bool{true, false, false}},
		{"middle gone", []bool{false, true, false}},
		{"all gone", []bool{true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, dsn string) {
				s := openInternal(t, dsn)
				h := holdCreates(t, s, true)
				errc := make([]chan error, len(tc.gone))
				var cancels []context.CancelFunc
				want := 0
				for i, gone := range tc.gone {
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					if gone {
						cancels = append(cancels, cancel)
					} else {
						want++
					}
					errc[i] = make(chan error, 1)
					go func() {
						_, err := s.Create(ctx, "Observation", groupObservation(i), search.Compartment{})
						errc[i] <- err
					}()
					h.waitQueued(1)
				}
				for _, cancel := range cancels {
					cancel()
				}
				h.letGo()
				for i, gone := range tc.gone {
					err := <-errc[i]
					if gone && !errors.Is(err, context.Canceled) {
						t.Errorf("write %d: %v, want %v", i, err, context.Canceled)
					}
					if !gone && err != nil {
						t.Errorf("write %d: %v", i, err)
					}
				}
				wantCreated(t, s, want)
			})
		})
	}
}

// TestGroupCommitCloseAnswersQueued: Close lets the batch under way
// finish and answers the writes still queued with errClosed, writing none
// of them.
func TestGroupCommitCloseAnswersQueued(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s := openInternal(t, dsn)
		h := holdCreates(t, s, false)
		const queued = 3
		errc := make(chan error, 1+queued)
		create := func(i int) {
			_, err := s.Create(context.Background(), "Observation", groupObservation(i), search.Compartment{})
			errc <- err
		}
		go create(0)
		h.waitQueued(1)
		if got := <-h.sizes; got != 1 { // the runner holds a batch of one
			t.Fatalf("first batch of %d", got)
		}
		for i := range queued {
			go create(1 + i)
		}
		h.waitQueued(queued)
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		<-h.b.stop
		h.letGo()
		var ok, refused int
		for range 1 + queued {
			switch err := <-errc; {
			case err == nil:
				ok++
			case errors.Is(err, errClosed):
				refused++
			default:
				t.Errorf("create: %v", err)
			}
		}
		if ok != 1 || refused != queued {
			t.Errorf("%d written and %d refused, want 1 and %d", ok, refused, queued)
		}
		if err := <-closed; err != nil {
			t.Errorf("close: %v", err)
		}
		wantCreated(t, openInternal(t, dsn), 1)
	})
}
