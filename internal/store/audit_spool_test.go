package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// eachDB runs fn on a fresh database of each dialect (see timeoutDSNs).
func eachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
	for dialect, dsn := range timeoutDSNs(t) {
		t.Run(dialect, func(t *testing.T) { fn(t, dsn) })
	}
}

// outage makes every audit batch fail as a lost database does.
func outage(s *Store, on bool) {
	if !on {
		s.auditHook.Store(nil)
		return
	}
	f := func() error {
		return &errs.Error{Kind: errs.Unavailable, Message: errDBUnavailable, Err: fmt.Errorf("connection refused")}
	}
	s.auditHook.Store(&f)
}

func auditActors(t *testing.T, s *Store) []string {
	t.Helper()
	evs, err := s.ListAudit(context.Background(), AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- { // oldest first
		out = append(out, evs[i].Actor)
	}
	return out
}

func access(s *Store, actor string) {
	s.RecordAccess(context.Background(), AuditEvent{Action: "read", Type: "Patient", ResID: "p1", Status: 200,
		RequestInfo: RequestInfo{Actor: actor, Method: "GET", Path: "/fhir/r4/Patient/p1"}})
}

// TestAuditOutageSpooledReplayedInOrder: a batch the database refuses goes
// to the spool, every access after it is spooled (and synced) before
// RecordAccess returns, and when the database answers again the spool is
// written in order and emptied.
func TestAuditOutageSpooledReplayedInOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		spoolPath := filepath.Join(t.TempDir(), "audit-spool")
		s, err := Open(context.Background(), dsn, Options{AuditSpool: spoolPath})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		outage(s, true)
		access(s, "a1")
		access(s, "a2")
		s.FlushAudit()
		if got := auditActors(t, s); len(got) != 0 {
			t.Fatalf("rows during the outage: %v", got)
		}
		access(s, "a3") // straight to the spool
		if waiting, _ := s.AuditSpooled(); waiting != 3 {
			t.Fatalf("spooled %d events, want 3", waiting)
		}
		b, _ := os.ReadFile(spoolPath)
		if n := strings.Count(string(b), "\n"); n != 3 {
			t.Fatalf("the spool file holds %d lines before any flush, want 3", n)
		}
		s.FlushAudit() // still away: nothing lost, nothing written
		if waiting, _ := s.AuditSpooled(); waiting != 3 || len(auditActors(t, s)) != 0 {
			t.Fatalf("after a failed replay: %d waiting", waiting)
		}
		outage(s, false)
		access(s, "a4")
		s.FlushAudit()
		if got := strings.Join(auditActors(t, s), " "); got != "a1 a2 a3 a4" {
			t.Fatalf("audit rows after recovery: %s, want a1 a2 a3 a4", got)
		}
		if waiting, _ := s.AuditSpooled(); waiting != 0 {
			t.Fatalf("%d events still spooled", waiting)
		}
		if fi, err := os.Stat(spoolPath); err != nil || fi.Size() != 0 {
			t.Fatalf("spool file after replay: %v %v", fi, err)
		}
		// Back to batching: a new access waits for the flush.
		access(s, "a5")
		if waiting, _ := s.AuditSpooled(); waiting != 0 {
			t.Fatal("an access after recovery was spooled")
		}
	})
}

// TestAuditFailedFlushRetriedWithoutSpool: without a spool a failed batch
// is kept and written at a later flush.
func TestAuditFailedFlushRetriedWithoutSpool(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s, err := Open(context.Background(), dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		outage(s, true)
		access(s, "r1")
		s.FlushAudit()
		access(s, "r2")
		s.FlushAudit()
		outage(s, false)
		s.FlushAudit()
		if got := strings.Join(auditActors(t, s), " "); got != "r1 r2" {
			t.Fatalf("audit rows: %q, want r1 r2", got)
		}
	})
}

// TestAuditSpoolBounded: past its bound the spool drops events and counts
// them; what it kept is written after the outage.
func TestAuditSpoolBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s, err := Open(context.Background(), dsn, Options{AuditSpool: filepath.Join(t.TempDir(), "spool"), AuditSpoolMax: 700})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		outage(s, true)
		for i := range 10 {
			access(s, fmt.Sprintf("b%d", i))
		}
		s.FlushAudit()
		waiting, dropped := s.AuditSpooled()
		if waiting == 0 || dropped == 0 || waiting+dropped != 10 {
			t.Fatalf("waiting %d dropped %d, want both and 10 in all", waiting, dropped)
		}
		outage(s, false)
		s.FlushAudit()
		if got := len(auditActors(t, s)); int64(got) != waiting {
			t.Fatalf("%d rows, want the %d kept", got, waiting)
		}
	})
}

// TestAuditSpoolSurvivesKill: a process that answered accesses during an
// outage is killed (SIGKILL, no Close); the next start on the same spool
// writes every one of them, once, and a torn last line is cut off. Opening
// the same spool again after a replay (as after a crash between the
// database commit and the spool's truncation) adds no row twice.
func TestAuditSpoolSurvivesKill(t *testing.T) {
	if os.Getenv("EMP_AUDIT_CRASH_DSN") != "" {
		crashHelper()
		return
	}
	eachDB(t, func(t *testing.T, dsn string) {
		spoolPath := filepath.Join(t.TempDir(), "audit-spool")
		cmd := exec.Command(os.Args[0], "-test.run=^TestAuditSpoolSurvivesKill$")
		cmd.Env = append(os.Environ(), "EMP_AUDIT_CRASH_DSN="+dsn, "EMP_AUDIT_CRASH_SPOOL="+spoolPath)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready = true
				break
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if !ready {
			t.Fatal("the helper process did not get ready")
		}
		// The process died in the middle of an append: a torn line.
		f, err := os.OpenFile(spoolPath, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(`{"id":"torn","Act`)
		f.Close()
		saved, err := os.ReadFile(spoolPath)
		if err != nil {
			t.Fatal(err)
		}

		s, err := Open(context.Background(), dsn, Options{AuditSpool: spoolPath})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(auditActors(t, s), " "); got != "k0 k1 k2 k3 k4" {
			t.Fatalf("after the restart the audit log holds %q, want k0 … k4", got)
		}
		s.Close()
		if err := os.WriteFile(spoolPath, saved, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err = Open(context.Background(), dsn, Options{AuditSpool: spoolPath})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := strings.Join(auditActors(t, s), " "); got != "k0 k1 k2 k3 k4" {
			t.Fatalf("a second replay of the same spool gives %q", got)
		}
	})
}

// crashHelper is the process TestAuditSpoolSurvivesKill kills: the
// database goes away, accesses are answered (RecordAccess returns), and it
// says so and waits to be killed.
func crashHelper() {
	s, err := Open(context.Background(), os.Getenv("EMP_AUDIT_CRASH_DSN"), Options{AuditSpool: os.Getenv("EMP_AUDIT_CRASH_SPOOL")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	outage(s, true)
	access(s, "k0")
	s.FlushAudit() // fails: k0 to the spool
	for i := 1; i < 5; i++ {
		access(s, fmt.Sprintf("k%d", i)) // spooled before it returns
	}
	fmt.Println("ready")
	time.Sleep(time.Hour) // killed long before
	os.Exit(3)
}
