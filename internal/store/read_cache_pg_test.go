package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// openCached opens one more node with a read cache over the PostgreSQL
// database dsn names, and waits until its cache answers.
func openCached(t *testing.T, dsn string, clock *storetest.Clock) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{Now: clock.Now, ReadCacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	store.WaitReadCache(t, s, "the changes read", func() bool { return s.ReadCacheStats().Answering })
	return s
}

func needPostgres(t *testing.T) string {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("the read cache is PostgreSQL's; " + storetest.EnvPostgres + " is not set")
	}
	return storetest.DSN(t, "postgres")
}

// readVersion reads typ/id through s, as the patient's token when patient
// is set, and returns its version and "", "NotFound" or "Gone".
func readVersion(t *testing.T, s *store.Store, typ, id, patient string) (int64, string) {
	t.Helper()
	c := search.Compartment{}
	if patient != "" {
		c = search.Compartment{Restricted: true, Patient: patient}
	}
	r, err := s.Read(context.Background(), typ, id, c)
	kind := ""
	switch {
	case err == nil:
	case errs.KindOf(err) == errs.NotFound:
		kind = "NotFound"
	case errs.KindOf(err) == errs.Gone:
		kind = "Gone"
	default:
		t.Fatalf("read %s/%s: %v", typ, id, err)
	}
	if r == nil {
		return 0, kind
	}
	return r.Version, kind
}

func observation(id, patient string, value int) string {
	return fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"},"valueInteger":%d}`, id, patient, value)
}

// Two nodes over one database, each with a read cache: a node reads its
// own write at once, the other after it heard the change (an update, a
// deletion, an operator's SQL), and a read confined to another patient's
// compartment stays NotFound from the cache.
func TestReadCacheAcrossNodes(t *testing.T) {
	dsn := needPostgres(t)
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, b := openCached(t, dsn, clock), openCached(t, dsn, clock)
	raw := openRaw(t, dsn)

	put(t, a, observation("x", "p1", 1))
	for _, n := range []*store.Store{a, b} {
		for range 2 {
			if v, k := readVersion(t, n, "Observation", "x", ""); v != 1 || k != "" {
				t.Fatalf("read: version %d, %q", v, k)
			}
		}
	}
	if st := b.ReadCacheStats(); st.Hits != 1 || st.Misses != 1 || st.Fills != 1 {
		t.Fatalf("node b's first two reads: %+v, want one miss, one fill, one hit", st)
	}

	// Confined reads: the compartment's patient from the cache, another
	// patient NotFound from the cache too.
	hits := b.ReadCacheStats().Hits
	if v, k := readVersion(t, b, "Observation", "x", "p1"); v != 1 || k != "" {
		t.Errorf("read as p1: version %d, %q", v, k)
	}
	if _, k := readVersion(t, b, "Observation", "x", "p2"); k != "NotFound" {
		t.Errorf("read as p2: %q, want NotFound", k)
	}
	if got := b.ReadCacheStats().Hits - hits; got != 2 {
		t.Errorf("confined reads: %d hits, want 2", got)
	}

	// Node a's own write, read at once though its poller is held.
	release := store.HoldReadCachePoller(t, a)
	put(t, a, observation("x", "p2", 2))
	if v, _ := readVersion(t, a, "Observation", "x", ""); v != 2 {
		t.Fatalf("node a reads version %d of its own update, want 2", v)
	}
	release()
	store.SyncReadCache(t, b)
	if store.ReadCacheHolds(b, "Observation", "x") {
		t.Fatal("node b still holds Observation/x after the change was heard")
	}
	if v, _ := readVersion(t, b, "Observation", "x", ""); v != 2 {
		t.Fatalf("node b reads version %d after the update, want 2", v)
	}
	if _, k := readVersion(t, b, "Observation", "x", "p1"); k != "NotFound" {
		t.Errorf("read as p1 after the move to p2: %q, want NotFound", k)
	}

	// A deletion through a: Gone on b, then Gone from b's cache.
	if err := a.Delete(context.Background(), "Observation", "x", search.Compartment{}); err != nil {
		t.Fatal(err)
	}
	store.SyncReadCache(t, b)
	if store.ReadCacheHolds(b, "Observation", "x") {
		t.Fatal("node b still holds Observation/x after the change was heard")
	}
	for range 2 {
		if v, k := readVersion(t, b, "Observation", "x", ""); v != 3 || k != "Gone" {
			t.Fatalf("node b after the deletion: version %d, %q, want 3, Gone", v, k)
		}
	}
	if _, k := readVersion(t, b, "Observation", "x", "p2"); k != "NotFound" {
		t.Errorf("confined read of the deleted resource: %q, want NotFound", k)
	}

	// A resource not known is not kept: created by another node (a create
	// announces nothing), it is read at once.
	if _, k := readVersion(t, b, "Observation", "later", ""); k != "NotFound" {
		t.Fatalf("read of an unknown id: %q", k)
	}
	put(t, a, observation("later", "p1", 1))
	if v, k := readVersion(t, b, "Observation", "later", ""); v != 1 || k != "" {
		t.Fatalf("node b after node a created it: version %d, %q", v, k)
	}

	// An operator's SQL is heard too.
	put(t, a, observation("y", "p1", 1))
	readVersion(t, b, "Observation", "y", "")
	if !store.ReadCacheHolds(b, "Observation", "y") {
		t.Fatal("node b did not keep Observation/y")
	}
	raw.exec(`UPDATE resources SET version = 7 WHERE type = 'Observation' AND id = 'y'`)
	store.SyncReadCache(t, b)
	if store.ReadCacheHolds(b, "Observation", "y") {
		t.Fatal("node b still holds Observation/y after the change was heard")
	}
	if v, _ := readVersion(t, b, "Observation", "y", ""); v != 7 {
		t.Errorf("node b reads version %d after the operator's update, want 7", v)
	}
	// One statement changing more resources than one notification names.
	const many = 150
	for i := range many {
		put(t, a, observation(fmt.Sprintf("m%d", i), "p1", i))
		readVersion(t, b, "Observation", fmt.Sprintf("m%d", i), "")
	}
	raw.exec(`UPDATE resources SET version = version + 1 WHERE type = 'Observation' AND id LIKE 'm%'`)
	store.SyncReadCache(t, b)
	for i := range many {
		if store.ReadCacheHolds(b, "Observation", fmt.Sprintf("m%d", i)) {
			t.Fatalf("node b still holds Observation/m%d after one statement changed %d resources", i, many)
		}
	}
	// A removed compartment row too: the resource leaves p1's compartment.
	readVersion(t, b, "Observation", "y", "p1")
	raw.exec(`DELETE FROM compartment WHERE rid = (SELECT rid FROM resources WHERE type = 'Observation' AND id = 'y')`)
	store.SyncReadCache(t, b)
	if store.ReadCacheHolds(b, "Observation", "y") {
		t.Fatal("node b still holds Observation/y after the change was heard")
	}
	if _, k := readVersion(t, b, "Observation", "y", "p1"); k != "NotFound" {
		t.Errorf("confined read after the compartment row went: %q, want NotFound", k)
	}
}

// Reads of the changes that fail stop the cache and empty it; once they
// succeed again it answers again. A read of the changes older than the
// bound stops it too.
func TestReadCachePollsFail(t *testing.T) {
	dsn := needPostgres(t)
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := openCached(t, dsn, clock)
	put(t, s, observation("z", "p1", 1))
	readVersion(t, s, "Observation", "z", "")

	failed := store.ReadCachePollFailures(s)
	release := store.FailReadCachePolls(t, s)
	store.WaitReadCache(t, s, "a read fails", func() bool { return store.ReadCachePollFailures(s) > failed })
	before := s.ReadCacheStats()
	if before.Answering {
		t.Error("answering after a read of the changes failed")
	}
	if before.Bytes != 0 {
		t.Errorf("%d bytes still cached while the changes cannot be read", before.Bytes)
	}
	if v, _ := readVersion(t, s, "Observation", "z", ""); v != 1 {
		t.Fatalf("read without the cache: version %d", v)
	}
	if after := s.ReadCacheStats(); after.Hits != before.Hits || after.Misses != before.Misses || after.Fills != before.Fills {
		t.Errorf("the cache was used while the changes could not be read: %+v then %+v", before, after)
	}

	release()
	store.WaitReadCache(t, s, "the reads succeed again", func() bool { return s.ReadCacheStats().Answering })
	readVersion(t, s, "Observation", "z", "")
	hits := s.ReadCacheStats().Hits
	readVersion(t, s, "Observation", "z", "")
	if s.ReadCacheStats().Hits != hits+1 {
		t.Errorf("the cache does not answer again after the reads succeed")
	}

	clock.Advance(time.Second) // the newest read of the changes is now too old
	if s.ReadCacheStats().Answering {
		t.Fatal("answering with the changes read a second ago")
	}
	store.WaitReadCache(t, s, "a fresh read of the changes", func() bool { return s.ReadCacheStats().Answering })
}

// SQLite reads in-process: it has no read cache, whatever the options say.
func TestReadCacheOffOnSQLite(t *testing.T) {
	s := storetest.Open(t, "sqlite", store.Options{ReadCacheBytes: 1 << 20})
	put(t, s, observation("x", "p1", 1))
	for range 2 {
		if v, k := readVersion(t, s, "Observation", "x", ""); v != 1 || k != "" {
			t.Fatalf("read: %d %q", v, k)
		}
	}
	if st := s.ReadCacheStats(); st != (store.ReadCacheStats{}) {
		t.Errorf("SQLite store has read cache stats %+v", st)
	}
}

// A transaction that recorded its change before another did, and commits
// after the other's change was read, is still read: the changes are read
// by transaction, not by the order their rows were numbered in.
func TestReadCacheChangeCommittedLate(t *testing.T) {
	dsn := needPostgres(t)
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, b := openCached(t, dsn, clock), openCached(t, dsn, clock)
	raw := openRaw(t, dsn)
	for _, id := range []string{"early", "late"} {
		put(t, a, observation(id, "p1", 1))
		readVersion(t, b, "Observation", id, "")
	}

	ctx := context.Background()
	slow, err := raw.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback()
	if _, err := slow.ExecContext(ctx, `UPDATE resources SET version = 5 WHERE type = 'Observation' AND id = 'early'`); err != nil {
		t.Fatal(err)
	}
	raw.exec(`UPDATE resources SET version = 6 WHERE type = 'Observation' AND id = 'late'`)
	store.SyncReadCache(t, b)
	if store.ReadCacheHolds(b, "Observation", "late") {
		t.Fatal("node b still holds Observation/late after its change was committed and read")
	}
	if !store.ReadCacheHolds(b, "Observation", "early") {
		t.Fatal("node b dropped Observation/early before its change was committed")
	}
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	store.SyncReadCache(t, b)
	if store.ReadCacheHolds(b, "Observation", "early") {
		t.Fatal("node b still holds Observation/early: the change numbered first and committed last was missed")
	}
	if v, _ := readVersion(t, b, "Observation", "early", ""); v != 5 {
		t.Errorf("node b reads version %d of Observation/early, want 5", v)
	}
}

// The changes are pruned once every node must have read them: the rows of
// transactions that had ended a retention ago. A node that has not read
// the changes for that long empties its cache instead of trusting it.
//
// Which rows may go depends on every transaction of the database server
// (another test's may hold the oldest running one back), so the test
// notes the oldest running transaction after the update and checks that
// the rows below it went.
func TestReadCacheChangesPruned(t *testing.T) {
	dsn := needPostgres(t)
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := openCached(t, dsn, clock)
	raw := openRaw(t, dsn)
	put(t, s, observation("p", "p1", 1))
	put(t, s, observation("p", "p1", 2))
	readVersion(t, s, "Observation", "p", "")
	if n := raw.count(`SELECT count(*) FROM resource_changes`); n == 0 {
		t.Fatal("the update recorded no change")
	}
	var xmin string
	if err := raw.db.QueryRow(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text`).Scan(&xmin); err != nil {
		t.Fatal(err)
	}
	below := `SELECT count(*) FROM resource_changes WHERE xid < '` + xmin + `'::xid8`
	ended := raw.count(below)
	if ended == 0 {
		t.Log("another transaction of the server was running when the update committed; the pruning is not seen here")
	}
	store.SyncReadCache(t, s)
	flushes := s.ReadCacheStats().Flushes

	clock.Advance(6 * time.Minute)
	store.SyncReadCache(t, s)
	if n := raw.count(below); n != 0 {
		t.Errorf("%d of the %d changes of transactions ended before %s left after the retention", n, ended, xmin)
	}
	if s.ReadCacheStats().Flushes == flushes || store.ReadCacheHolds(s, "Observation", "p") {
		t.Error("a node that had not read the changes for minutes kept its cache")
	}
	if v, _ := readVersion(t, s, "Observation", "p", ""); v != 2 {
		t.Errorf("read after the pruning: version %d, want 2", v)
	}
}
