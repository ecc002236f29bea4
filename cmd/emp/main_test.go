package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// The durability test runs the server in a child process, which it can kill
// without a chance to clean up. The child is this test binary with
// EMP_TEST_CHILD_ARGS set: it runs the command and exits.
const childArgsEnv = "EMP_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		err := run(context.Background(), strings.Split(args, "\x1f"), os.Getenv, os.Stdout, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "emp:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func noEnv(string) string { return "" }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s not ready", addr)
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"version", []string{"version"}, "", "emp "},
		{"help", []string{"help"}, "", "Usage:"},
		{"no command", nil, "no command given", ""},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`, ""},
		{"stray argument", []string{"migrate", "extra"}, `unexpected argument "extra"`, ""},
		{"token needs a scope", []string{"token"}, "--scope is required", ""},
		{"token ttl bounded", []string{"token", "--scope", "user/*.rs", "--ttl", "48h"}, "--ttl must be", ""},
		{"seed needs patients", []string{"seed", "--patients", "0"}, "--patients must be at least 1", ""},
		{"plain HTTP off loopback", []string{"serve", "--addr", "0.0.0.0:0"}, "loopback", ""},
		{"bad tls mode", []string{"serve", "--tls", "maybe"}, `--tls takes "self-signed"`, ""},
		{"bad export ttl", []string{"serve", "--export-ttl", "forever"}, "--export-ttl", ""},
		{"bad export limit", []string{"serve", "--export-per-client", "0"}, "--export-per-client", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if len(args) > 0 && args[0] != "version" && args[0] != "help" {
				args = append(args, "--db", filepath.Join(t.TempDir(), "emp.db"))
			}
			if len(tt.args) == 0 {
				args = nil
			}
			var out, errOut bytes.Buffer
			err := run(context.Background(), args, noEnv, &out, &errOut)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run %v: %v", args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run %v = %v, want an error containing %q", args, err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), tt.wantOut)
			}
		})
	}
}

// TestEnvironmentConfiguresFlags: EMP_DB stands for --db.
func TestEnvironmentConfiguresFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "from-env.db")
	env := func(k string) string {
		if k == "EMP_DB" {
			return db
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("EMP_DB not used: %v", err)
	}
}

var tokenLine = regexp.MustCompile(`export TOKEN=(\S+)`)

// TestServeDemo runs `emp serve --demo` in process: it seeds, prints a
// working token, serves FHIR, and stops cleanly when its context ends.
func TestServeDemo(t *testing.T) {
	addr := freeAddr(t)
	db := filepath.Join(t.TempDir(), "emp.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out storetest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--demo-patients", "3", "--addr", addr, "--db", db, "--log-level", "error"}, noEnv, &out, io.Discard)
	}()
	waitReady(t, addr)
	m := tokenLine.FindStringSubmatch(out.String())
	if m == nil {
		cancel()
		t.Fatalf("no token in the banner:\n%s", out.String())
	}
	base := "http://" + addr + "/fhir/r4"
	if code, body := get(t, base+"/Patient?_summary=count", m[1]); code != http.StatusOK || !strings.Contains(body, `"total":3`) {
		t.Errorf("Patient count: %d %s", code, body)
	}
	if code, _ := get(t, base+"/Patient", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, body := get(t, base+"/metadata", ""); code != http.StatusOK || !strings.Contains(body, `"CapabilityStatement"`) {
		t.Errorf("metadata: %d %.200s", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeSaysHowToAddAnAdministrator: a fresh server without --demo tells
// the operator how to create the first administrator.
func TestServeSaysHowToAddAnAdministrator(t *testing.T) {
	addr := freeAddr(t)
	db := filepath.Join(t.TempDir(), "emp.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out storetest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--db", db, "--log-level", "error"}, noEnv, &out, io.Discard)
	}()
	waitReady(t, addr)
	cancel()
	<-done
	if !strings.Contains(out.String(), "emp user add --role admin") {
		t.Errorf("no hint about the first administrator:\n%s", out.String())
	}
}

// TestCreatesSurviveKill: every create the server acknowledged with 201 is
// there after the process is killed with SIGKILL and started again.
func TestCreatesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	addr := freeAddr(t)
	db := filepath.Join(t.TempDir(), "emp.db")
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"serve", "--addr", addr, "--db", db, "--log-level", "error"}, "\x1f"))
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		waitReady(t, addr)
		return cmd
	}
	server := start()
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--scope", "user/*.cruds", "--addr", addr, "--db", db}, noEnv, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(tok.String())

	// Writers keep creating until the kill; every 201 is remembered.
	var (
		mu       sync.Mutex
		acked    []string
		wg       sync.WaitGroup
		stop     = make(chan struct{})
		location = regexp.MustCompile(`Patient/([^/]+)/_history/`)
	)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"resourceType":"Patient","name":[{"family":"Durable%d","given":["W%d"]}]}`, i, w)
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/fhir/r4/Patient", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/fhir+json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					if m := location.FindStringSubmatch(resp.Header.Get("Location")); m != nil {
						mu.Lock()
						acked = append(acked, m[1])
						mu.Unlock()
					}
				}
			}
		}(w)
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := server.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	server.Wait()
	close(stop)
	wg.Wait()

	start()
	mu.Lock()
	defer mu.Unlock()
	for _, id := range acked {
		if code, body := get(t, "http://"+addr+"/fhir/r4/Patient/"+id, token); code != http.StatusOK {
			t.Fatalf("acknowledged Patient/%s lost after SIGKILL: %d %s", id, code, body)
		}
	}
	t.Logf("%d acknowledged creates all present after SIGKILL", len(acked))
}
