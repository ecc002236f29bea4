package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func openAt(t *testing.T, dsn string, c *testClock) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// auditSpread records n events from the start of from on, one every step,
// with actors, paths, statuses and patients that the filters tell apart,
// and returns them as ListAudit shows them (newest first).
func auditSpread(t *testing.T, s *Store, from time.Time, step time.Duration, n int) []AuditEvent {
	t.Helper()
	for i := range n {
		s.RecordAccess(context.Background(), AuditEvent{At: from.Add(time.Duration(i) * step).Add(123 * time.Microsecond),
			RequestInfo: RequestInfo{RequestID: "r" + strconv.Itoa(i), Actor: "user-" + strconv.Itoa(i%3), ClientID: "c" + strconv.Itoa(i%2),
				Method: "GET", Path: []string{"/fhir/r4/Patient/p", "/api/patient/p", "/admin/setup"}[i%3] + strconv.Itoa(i%4)},
			Patient: "p" + strconv.Itoa(i%4), Action: []string{"read", "search", "sign-in"}[i%3], Type: "Patient",
			Status: []int{200, 200, 403, 404}[i%4], Detail: "event " + strconv.Itoa(i)})
	}
	s.FlushAudit()
	all := listAll(t, s, AuditFilter{})
	if len(all) < n {
		t.Fatalf("recorded %d events, the log holds %d", n, len(all))
	}
	return all
}

// listAll pages through ListAudit as the API log page does.
func listAll(t *testing.T, s *Store, f AuditFilter) []AuditEvent {
	t.Helper()
	var out []AuditEvent
	f.Limit = 7
	for {
		evs, err := s.ListAudit(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
		if len(evs) < f.Limit {
			return out
		}
		f.AfterSeq = evs[len(evs)-1].Seq
	}
}

// want is what a filter should return of all: the rows it matches, newest
// first, computed here rather than by the database.
func want(all []AuditEvent, f AuditFilter) []AuditEvent {
	var out []AuditEvent
	for _, ev := range all {
		ok := (f.Actor == "" || ev.Actor == f.Actor) && (f.ClientID == "" || ev.ClientID == f.ClientID) &&
			(f.Patient == "" || ev.Patient == f.Patient) && strings.HasPrefix(ev.Path, f.PathPrefix) &&
			(f.Status == 0 || ev.Status == f.Status) && (f.Since.IsZero() || !ev.At.Before(f.Since)) &&
			(f.Until.IsZero() || ev.At.Before(f.Until))
		if f.Security {
			ok = ok && (slices.Contains(SecurityActions(), ev.Action) || ev.Status == 401 || ev.Status == 403)
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out
}

var auditFilters = []AuditFilter{
	{},
	{Actor: "user-1"},
	{ClientID: "c0", Status: 403},
	{Patient: "p2"},
	{PathPrefix: "/api/"},
	{Security: true},
	{Since: day(2026, 2, 20), Until: day(2026, 3, 10)},
	{Until: day(2026, 2, 1)},
	{Since: day(2026, 3, 1), Actor: "user-2"},
}

// TestAuditPartitionsAhead: on PostgreSQL the current and next months have
// their partitions from the start, several nodes preparing a new month at
// the same moment all succeed and make it once, and each row is in its
// month's partition (a month without one goes to the default partition
// and is moved out by the next preparation).
func TestAuditPartitionsAhead(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		c := &testClock{t: day(2026, 3, 15)}
		s := openAt(t, dsn, c)
		parts, err := s.AuditPartitions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s.Dialect() == "sqlite" {
			if parts != nil {
				t.Fatalf("SQLite partitions = %v", parts)
			}
			return
		}
		if w := []string{"audit_log_2026_03", "audit_log_2026_04", "audit_log_default"}; !reflect.DeepEqual(parts, w) {
			t.Fatalf("partitions = %v, want %v", parts, w)
		}
		// Rows of January (no partition yet) and of March and April.
		for _, at := range []time.Time{day(2026, 1, 31).Add(23 * time.Hour), day(2026, 3, 1), day(2026, 3, 31).Add(time.Hour), day(2026, 4, 1)} {
			s.RecordAccess(context.Background(), AuditEvent{At: at, Action: "read", Detail: at.Format(time.RFC3339)})
		}
		s.FlushAudit()
		if got, w := partitionRows(t, s), map[string]int{"audit_log_default": 1, "audit_log_2026_03": 2, "audit_log_2026_04": 1}; !reflect.DeepEqual(got, w) {
			t.Fatalf("rows by partition = %v, want %v", got, w)
		}
		// Five nodes see May begin at the same moment.
		c.set(day(2026, 5, 1))
		nodes := []*Store{s}
		for range 4 {
			nodes = append(nodes, openAt(t, dsn, c))
		}
		var wg sync.WaitGroup
		errc := make(chan error, len(nodes))
		for _, n := range nodes {
			wg.Add(1)
			go func() { defer wg.Done(); errc <- n.EnsureAuditPartitions(context.Background()) }()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		parts, _ = s.AuditPartitions(context.Background())
		if w := []string{"audit_log_2026_01", "audit_log_2026_03", "audit_log_2026_04", "audit_log_2026_05", "audit_log_2026_06", "audit_log_default"}; !reflect.DeepEqual(parts, w) {
			t.Fatalf("partitions = %v, want %v", parts, w)
		}
		if got, w := partitionRows(t, s), map[string]int{"audit_log_2026_01": 1, "audit_log_2026_03": 2, "audit_log_2026_04": 1}; !reflect.DeepEqual(got, w) {
			t.Fatalf("rows by partition = %v, want %v", got, w)
		}
	})
}

func partitionRows(t *testing.T, s *Store) map[string]int {
	t.Helper()
	rows, err := s.r.Query(`SELECT tableoid::regclass::text, count(*) FROM audit_log GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// TestAuditQueriesAcrossMonths: every filter of the API log page and emp
// audit, paged by seq, answers the rows it should across month boundaries,
// before and after the rows are moved into their partitions.
func TestAuditQueriesAcrossMonths(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		c := &testClock{t: day(2026, 3, 15)}
		s := openAt(t, dsn, c)
		all := auditSpread(t, s, day(2026, 1, 20), 7*time.Hour, 200) // 20 January to 20 March
		check := func(stage string) {
			for _, f := range auditFilters {
				got := listAll(t, s, f)
				if w := want(all, f); !reflect.DeepEqual(got, w) {
					t.Fatalf("%s: filter %+v: %d rows, want %d", stage, f, len(got), len(w))
				}
			}
		}
		check("as written")
		if err := s.EnsureAuditPartitions(context.Background()); err != nil {
			t.Fatal(err)
		}
		check("in their partitions")
	})
}

// TestAuditArchiveRoundTrip: retention archives each whole month older than
// it keeps to an NDJSON file whose lines are exactly the rows removed, with
// a checksum that verifies; the months kept answer as before, and a second
// run finds nothing to do.
func TestAuditArchiveRoundTrip(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		c := &testClock{t: day(2026, 1, 5)}
		s := openAt(t, dsn, c)
		all := auditSpread(t, s, day(2026, 1, 20), 7*time.Hour, 300) // 20 January to 17 April
		c.set(day(2026, 4, 20))
		if err := s.EnsureAuditPartitions(context.Background()); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "archive")
		got, err := s.RetainAudit(context.Background(), 1, dir) // keep March and April
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Month != "2026-01" || got[1].Month != "2026-02" {
			t.Fatalf("archived %+v, want January and February", got)
		}
		var archived []AuditEvent
		for _, a := range got {
			archived = append(archived, readArchive(t, dir, a)...)
		}
		kept := want(all, AuditFilter{Since: day(2026, 3, 1)})
		gone := want(all, AuditFilter{Until: day(2026, 3, 1)})
		slices.Reverse(gone) // the files are oldest first
		if !reflect.DeepEqual(archived, gone) {
			t.Fatalf("archived %d lines, removed %d rows; they differ", len(archived), len(gone))
		}
		if rest := listAll(t, s, AuditFilter{}); !reflect.DeepEqual(rest, kept) {
			t.Fatalf("after archiving the log holds %d rows, want %d", len(rest), len(kept))
		}
		recorded, err := s.AuditArchives(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for i := range recorded {
			recorded[i].ArchivedAt = got[i].ArchivedAt
		}
		if !reflect.DeepEqual(recorded, got) {
			t.Fatalf("audit_archives = %+v, want %+v", recorded, got)
		}
		if s.Dialect() == "postgres" {
			parts, _ := s.AuditPartitions(context.Background())
			if w := []string{"audit_log_2026_03", "audit_log_2026_04", "audit_log_2026_05", "audit_log_default"}; !reflect.DeepEqual(parts, w) {
				t.Fatalf("partitions = %v, want %v", parts, w)
			}
		}
		again, err := s.RetainAudit(context.Background(), 1, dir)
		if err != nil || len(again) != 0 {
			t.Fatalf("second run archived %+v, %v", again, err)
		}
		// emp audit's restore puts the rows back as they were.
		n, err := s.RestoreAudit(context.Background(), filepath.Join(dir, got[0].File))
		if err != nil || n != got[0].Rows {
			t.Fatalf("restore = %d, %v; want %d", n, err, got[0].Rows)
		}
		back := listAll(t, s, AuditFilter{Until: day(2026, 2, 1)})
		if w := want(all, AuditFilter{Until: day(2026, 2, 1)}); !reflect.DeepEqual(back, w) {
			t.Fatalf("restored %d rows, want %d", len(back), len(w))
		}
	})
}

// readArchive checks an archive file against its checksum file and its
// record, and returns its events.
func readArchive(t *testing.T, dir string, a AuditArchive) []AuditEvent {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(dir, a.File))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	line, err := os.ReadFile(filepath.Join(dir, a.ChecksumFile))
	if err != nil {
		t.Fatal(err)
	}
	if w := hex.EncodeToString(sum[:]) + "  " + a.File + "\n"; string(line) != w || a.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("checksum file %q, want %q (record %s)", line, w, a.SHA256)
	}
	var out []AuditEvent
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		ev, err := ParseAuditNDJSON(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	if int64(len(out)) != a.Rows || out[0].Seq != a.FirstSeq || out[len(out)-1].Seq != a.LastSeq {
		t.Fatalf("%s holds %d lines, record says %d (%d to %d)", a.File, len(out), a.Rows, a.FirstSeq, a.LastSeq)
	}
	if m := out[0].At.Format("2006-01"); m != a.Month || out[len(out)-1].At.Format("2006-01") != a.Month {
		t.Fatalf("%s holds rows outside %s", a.File, a.Month)
	}
	return out
}

// TestAuditRetentionRefusesWithoutArchive: a retention without an archive
// directory, or while another process holds the archiver's lease, removes
// nothing and says why.
func TestAuditRetentionRefusesWithoutArchive(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		c := &testClock{t: day(2026, 1, 5)}
		s := openAt(t, dsn, c)
		all := auditSpread(t, s, day(2026, 1, 20), 24*time.Hour, 20)
		c.set(day(2026, 6, 1))
		_, err := s.RetainAudit(context.Background(), 1, "")
		if errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), "--audit-archive-dir") {
			t.Fatalf("retention without a directory: %v", err)
		}
		if err := s.takeArchiveLease(context.Background(), "another-node"); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if _, err := s.RetainAudit(context.Background(), 1, dir); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("retention while another node archives: %v", err)
		}
		if rest := listAll(t, s, AuditFilter{}); !reflect.DeepEqual(rest, all) {
			t.Fatalf("the log lost rows: %d of %d", len(rest), len(all))
		}
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Fatalf("files written: %v", files)
		}
		// The other node's lease runs out; this one goes on.
		c.set(c.now().Add(auditArchiveLease + time.Second))
		got, err := s.RetainAudit(context.Background(), 1, dir)
		if err != nil || len(got) != 2 {
			t.Fatalf("after the lease ran out: %+v, %v", got, err)
		}
	})
}

// TestAuditMigrationKeepsRows: migration 0018 on a database whose audit
// log holds rows (spooled ones among them) keeps every row with its seq,
// puts each in its month's partition on PostgreSQL, goes on numbering after
// the last, and still refuses a spooled event twice.
func TestAuditMigrationKeepsRows(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		postgres := IsPostgres(dsn)
		db := migrateBefore(t, dsn, 18)
		ins := `INSERT INTO audit_log (at, request_id, actor, client_id, role, patient, action, type, res_id, method, path, status, detail, spool_id)
			VALUES (?, '', ?, '', '', '', 'read', '', '', 'GET', '/x', 200, '', ?)`
		if postgres {
			ins = dialect{postgres: true}.rebind(ins)
		}
		var old []string
		for i := range 40 {
			at := day(2025, 11, 1).Add(time.Duration(i) * 3 * 24 * time.Hour) // November to February
			var spool any
			if i%10 == 0 {
				spool = fmt.Sprintf("spool-%d", i)
			}
			if _, err := db.Exec(ins, at.UnixMicro(), "old-"+strconv.Itoa(i), spool); err != nil {
				t.Fatal(err)
			}
			old = append(old, "old-"+strconv.Itoa(i))
		}
		db.Close()
		c := &testClock{t: day(2026, 2, 10)}
		s := openAt(t, dsn, c)
		evs := listAll(t, s, AuditFilter{})
		var actors []string
		for i, ev := range slices.Backward(evs) {
			actors = append(actors, ev.Actor)
			if ev.Seq != int64(len(evs)-i) {
				t.Fatalf("row %s has seq %d", ev.Actor, ev.Seq)
			}
		}
		if !reflect.DeepEqual(actors, old) {
			t.Fatalf("after migrating: %v", actors)
		}
		if postgres {
			if got, w := partitionRows(t, s), map[string]int{"audit_log_2025_11": 10, "audit_log_2025_12": 11, "audit_log_2026_01": 10, "audit_log_2026_02": 9}; !reflect.DeepEqual(got, w) {
				t.Fatalf("rows by partition = %v, want %v", got, w)
			}
		}
		s.RecordAccess(context.Background(), AuditEvent{At: c.now(), RequestInfo: RequestInfo{Actor: "new"}})
		s.FlushAudit()
		if evs, _ := s.ListAudit(context.Background(), AuditFilter{Limit: 1}); evs[0].Actor != "new" || evs[0].Seq != 41 {
			t.Fatalf("newest = %+v", evs[0])
		}
		// A spooled event already in the log is not written again.
		err := s.write(context.Background(), func(tx *sql.Tx) error {
			args := append(auditArgs(AuditEvent{At: day(2025, 11, 1), Action: "read"}), "spool-0")
			_, err := tx.Exec(s.d.rebind(insertSpooledAudit), args...)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(listAll(t, s, AuditFilter{})); n != 41 {
			t.Fatalf("%d rows after replaying a spooled event again, want 41", n)
		}
	})
}

// migrateBefore applies the migrations numbered below version to a fresh
// database, as an older emp would have, and returns a connection to it.
func migrateBefore(t *testing.T, dsn string, version int64) *sql.DB {
	t.Helper()
	driver, name := "sqlite", "sqlite"
	if IsPostgres(dsn) {
		driver, name = "pgx", "postgres"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := migrationFiles.ReadDir("migrations/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		v, _ := strconv.ParseInt(num, 10, 64)
		if v >= version {
			continue
		}
		body, err := migrationFiles.ReadFile("migrations/" + name + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range splitStatements(string(body)) {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
		}
		if _, err := db.Exec(fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, 0)`, v)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}
