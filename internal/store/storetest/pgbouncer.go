package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PgBouncer is a private PgBouncer in transaction pooling mode in front of
// a fresh database of the shared test server (EMP_TEST_POSTGRES), as
// docs/operations.md tells operators to run one: every transaction may run
// on another server connection, and the pool has far fewer server
// connections than the nodes open client connections, so they do. It is
// stopped, and the database dropped, when the test ends.
//
// The database is a new one rather than a schema of the test database (as
// DSN makes): PgBouncer does not pass search_path on to the server.
type PgBouncer struct {
	// URL reaches the database through PgBouncer with the setting
	// docs/operations.md prescribes (default_query_exec_mode=simple_protocol).
	URL string
	// PreparingURL reaches it through PgBouncer with the driver's default
	// mode, which prepares statements on the server connection.
	PreparingURL string
	// DirectURL reaches the same database without PgBouncer.
	DirectURL string
	// PoolSize is PgBouncer's default_pool_size: the most server
	// connections it opens to the database.
	PoolSize int

	log string
}

// pgbouncerProgram is where PgBouncer is found: EMP_TEST_PGBOUNCER, else
// on the PATH, else where Debian installs it.
func pgbouncerProgram() string {
	if p := os.Getenv("EMP_TEST_PGBOUNCER"); p != "" {
		return p
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	return "/usr/sbin/pgbouncer"
}

// NewPgBouncer starts PgBouncer in pool_mode = transaction with at most
// poolSize server connections, in front of a new database of the test
// server. Like every PostgreSQL test it runs only when EMP_TEST_POSTGRES is
// set; it is skipped, saying why, when PgBouncer is not installed, except
// in CI (CI set), where that fails the test rather than hiding it.
func NewPgBouncer(t testing.TB, poolSize int) *PgBouncer {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("storetest: %s is not set", EnvPostgres)
	}
	prog := pgbouncerProgram()
	if _, err := os.Stat(prog); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("storetest: CI is set but PgBouncer is not installed (%v)", err)
		}
		t.Skipf("storetest: PgBouncer is not installed (set EMP_TEST_PGBOUNCER to the program)")
	}
	up, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgres, err)
	}
	upHost, upPort := up.Hostname(), up.Port()
	if upPort == "" {
		upPort = "5432"
	}
	upUser := up.User.Username()
	if upUser == "" {
		upUser = "postgres"
	}

	var b [6]byte
	rand.Read(b[:])
	name := "emp_pgbouncer_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: open postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("storetest: create database: %v", err)
	}
	// Registered before PgBouncer's stop, so it runs after it.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Logf("storetest: drop database %s: %v", name, err)
		}
		admin.Close()
	})
	direct := *up
	direct.Path = "/" + name
	q := direct.Query()
	q.Del("search_path")
	direct.RawQuery = q.Encode()

	// PgBouncer refuses to run as root, as PostgreSQL does.
	dir, runAs := serverDir(t, "emp-pgbouncer-", "PgBouncer")
	port := freePort(t)
	pb := &PgBouncer{PoolSize: poolSize, DirectURL: direct.String(), log: filepath.Join(dir, "pgbouncer.log")}
	// The server sets plan_cache_mode at connect, which PgBouncer refuses
	// unless told to ignore it (docs/operations.md).
	ini := fmt.Sprintf(`[databases]
%s = host=%s port=%s dbname=%s user=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 1000
ignore_startup_parameters = plan_cache_mode
logfile = %s
pidfile = %s
log_connections = 0
log_disconnections = 0
`, name, upHost, upPort, name, upUser, port, filepath.Join(dir, "users.txt"), poolSize, pb.log, filepath.Join(dir, "pgbouncer.pid"))
	for file, text := range map[string]string{
		"pgbouncer.ini": ini,
		"users.txt":     fmt.Sprintf("%q \"\"\n", upUser),
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var cmd *exec.Cmd
	if runAs != "" {
		cmd = exec.Command("runuser", "-u", runAs, "--", prog, filepath.Join(dir, "pgbouncer.ini"))
	} else {
		cmd = exec.Command(prog, filepath.Join(dir, "pgbouncer.ini"))
	}
	cmd.Dir = dir
	var out SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("storetest: start PgBouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// SIGTERM: PgBouncer exits at once, closing its connections. It
		// goes to PgBouncer itself: runuser would pass it on but then
		// wait two seconds before it exits too.
		p := cmd.Process
		if b, err := os.ReadFile(filepath.Join(dir, "pgbouncer.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				if proc, err := os.FindProcess(pid); err == nil {
					p = proc
				}
			}
		}
		p.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})

	through := url.URL{Scheme: "postgres", User: url.User(upUser), Host: "127.0.0.1:" + strconv.Itoa(port), Path: "/" + name}
	through.RawQuery = "sslmode=disable"
	pb.PreparingURL = through.String()
	through.RawQuery = "sslmode=disable&default_query_exec_mode=simple_protocol"
	pb.URL = through.String()

	// Ready once a query through it is answered.
	for deadline := time.Now().Add(30 * time.Second); ; {
		select {
		case <-exited:
			t.Fatalf("storetest: PgBouncer exited at start:\n%s\n%s", out.String(), pb.Log())
		default:
		}
		if pb.ping() == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("storetest: PgBouncer did not answer within 30 s: %v\n%s\n%s", pb.ping(), out.String(), pb.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return pb
}

// ping runs one query through PgBouncer.
func (pb *PgBouncer) ping() error {
	db, err := sql.Open("pgx", pb.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.QueryRowContext(ctx, "SELECT 1").Err()
}

// Log is what PgBouncer has logged so far, for a failure's message.
func (pb *PgBouncer) Log() string {
	b, _ := os.ReadFile(pb.log)
	return string(b)
}

// ServerConnections counts the connections the database server has open
// to the database, read directly (not through PgBouncer) and leaving out
// the one asking: through PgBouncer, never more than PoolSize.
func (pb *PgBouncer) ServerConnections(t testing.TB) int {
	t.Helper()
	db := openDB(t, pb.DirectURL)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
		t.Fatalf("storetest: count server connections: %v", err)
	}
	return n
}
