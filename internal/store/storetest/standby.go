package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Standby is a private PostgreSQL primary and a streaming standby made from
// it with pg_basebackup, each on a free local port with its data in a
// temporary directory, both stopped and removed when the test ends. The
// shared test server (EMP_TEST_POSTGRES) cannot be reconfigured for
// replication, so the pair is built from the same PostgreSQL installation.
type Standby struct {
	// PrimaryURL and StandbyURL are postgres:// URLs for the two servers.
	PrimaryURL, StandbyURL string

	bin        string // PostgreSQL's program directory
	runAs      string // the user the servers run as ("" for the test's own)
	standbyDir string
	standbyOpt string
}

// NewStandby starts a primary and its standby. Like every PostgreSQL test it
// runs only when EMP_TEST_POSTGRES is set; it is skipped, saying why, when
// the PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not
// installed. The standby loads pg_stat_statements so that a test can count
// the statements it answered.
func NewStandby(t testing.TB) *Standby {
	t.Helper()
	if os.Getenv(EnvPostgres) == "" {
		t.Skipf("storetest: %s is not set", EnvPostgres)
	}
	bin := postgresBin()
	for _, prog := range []string{"initdb", "pg_ctl", "pg_basebackup"} {
		if _, err := os.Stat(filepath.Join(bin, prog)); err != nil {
			t.Skipf("storetest: a standby needs PostgreSQL's %s, not found (set EMP_TEST_PG_BIN to its directory)", prog)
		}
	}
	sb := &Standby{bin: bin}
	// PostgreSQL refuses to run as root; a root test runs the servers as
	// the installation's postgres user.
	root, runAs := serverDir(t, "emp-standby-", "the servers")
	sb.runAs = runAs
	primaryDir := filepath.Join(root, "primary")
	sb.standbyDir = filepath.Join(root, "standby")
	sb.run(t, "initdb", "-D", primaryDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	pport, sport := freePort(t), freePort(t)
	common := " -c listen_addresses=127.0.0.1 -k " + root + " -c fsync=off -c full_page_writes=off -c shared_preload_libraries=pg_stat_statements -c max_connections=60 -c autovacuum=off"
	sb.run(t, "pg_ctl", "-D", primaryDir, "-l", filepath.Join(root, "primary.log"), "-w", "-o", "-p "+strconv.Itoa(pport)+common, "start")
	t.Cleanup(func() { sb.stop(primaryDir) })
	sb.PrimaryURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pport)
	sb.exec(t, sb.PrimaryURL, "CREATE EXTENSION pg_stat_statements")
	sb.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pport), "-U", "postgres", "-D", sb.standbyDir, "-R", "-X", "stream", "-c", "fast", "--no-sync")
	sb.standbyOpt = "-p " + strconv.Itoa(sport) + common
	sb.StartStandby(t)
	t.Cleanup(func() { sb.stop(sb.standbyDir) })
	sb.StandbyURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", sport)
	sb.WaitReplayed(t)
	return sb
}

// StartStandby starts the standby (again).
func (sb *Standby) StartStandby(t testing.TB) {
	t.Helper()
	sb.run(t, "pg_ctl", "-D", sb.standbyDir, "-l", filepath.Join(filepath.Dir(sb.standbyDir), "standby.log"), "-w", "-o", sb.standbyOpt, "start")
}

// StopStandby stops the standby at once, as a crash would.
func (sb *Standby) StopStandby(t testing.TB) {
	t.Helper()
	sb.run(t, "pg_ctl", "-D", sb.standbyDir, "-m", "immediate", "-w", "stop")
}

// PauseReplay stops the standby applying what it receives: it lags.
func (sb *Standby) PauseReplay(t testing.TB) {
	t.Helper()
	sb.exec(t, sb.StandbyURL, "SELECT pg_wal_replay_pause()")
}

// ResumeReplay lets the standby catch up again.
func (sb *Standby) ResumeReplay(t testing.TB) {
	t.Helper()
	sb.exec(t, sb.StandbyURL, "SELECT pg_wal_replay_resume()")
}

// WaitReplayed polls, up to a deadline, until the standby has replayed
// everything the primary had written when it was called.
func (sb *Standby) WaitReplayed(t testing.TB) {
	t.Helper()
	sb.waitStandby(t, "pg_last_wal_replay_lsn()")
}

// waitStandby polls until the standby's position (an expression) reaches
// the primary's current one.
func (sb *Standby) waitStandby(t testing.TB, position string) {
	t.Helper()
	var target string
	sb.queryRow(t, sb.PrimaryURL, "SELECT pg_current_wal_lsn()::text", &target)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var ok bool
		sb.queryRow(t, sb.StandbyURL, "SELECT COALESCE("+position+" >= '"+target+"'::pg_lsn, false)", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("storetest: the standby did not reach %s within a minute (%s)", target, position)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitReceived polls, up to a deadline, until the standby has received
// (not necessarily applied) everything the primary had written.
func (sb *Standby) WaitReceived(t testing.TB) {
	t.Helper()
	sb.waitStandby(t, "pg_last_wal_receive_lsn()")
}

// StandbyStatements counts the statements the standby has run whose text
// contains fragment (pg_stat_statements), leaving out its own queries.
func (sb *Standby) StandbyStatements(t testing.TB, fragment string) int64 {
	t.Helper()
	var n int64
	sb.queryRow(t, sb.StandbyURL, `SELECT COALESCE(SUM(calls), 0)::bigint FROM pg_stat_statements
		WHERE query LIKE '%' || $1 || '%' AND query NOT LIKE '%pg_stat_statements%'`, &n, fragment)
	return n
}

func (sb *Standby) exec(t testing.TB, dsn, q string) {
	t.Helper()
	db := openDB(t, dsn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, q); err != nil {
		t.Fatalf("storetest: %s: %v", q, err)
	}
}

func (sb *Standby) queryRow(t testing.TB, dsn, q string, dest any, args ...any) {
	t.Helper()
	db := openDB(t, dsn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.QueryRowContext(ctx, q, args...).Scan(dest); err != nil {
		t.Fatalf("storetest: %s: %v", q, err)
	}
}

func openDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// stop stops the server in dir if it runs, at the end of a test.
func (sb *Standby) stop(dir string) {
	sb.command("pg_ctl", "-D", dir, "-m", "immediate", "-w", "stop").Run()
}

// run runs one of PostgreSQL's programs, as the servers' user.
func (sb *Standby) run(t testing.TB, prog string, args ...string) {
	t.Helper()
	cmd := sb.command(prog, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("storetest: %s %s: %v\n%s", prog, strings.Join(args, " "), err, out.String())
	}
}

func (sb *Standby) command(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(sb.bin, prog)
	var cmd *exec.Cmd
	if sb.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", sb.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = os.TempDir()
	return cmd
}

// postgresBin is the directory of PostgreSQL's server programs:
// EMP_TEST_PG_BIN, else what pg_config says, else where initdb is found.
func postgresBin() string {
	if d := os.Getenv("EMP_TEST_PG_BIN"); d != "" {
		return d
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
				return d
			}
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real)
		}
		return filepath.Dir(p)
	}
	return ""
}

// freePort is a local TCP port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
