package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestTransactionSurvivesKill: transactions are sent one after another and
// the server is killed with SIGKILL while one is being written; after the
// restart every transaction sent is there entirely or not at all, and every
// acknowledged one entirely.
func TestTransactionSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	storetest.Each(t, func(t *testing.T, dialect string) {
		addr := freeAddr(t)
		db := storetest.DSN(t, dialect)
		// The node's own audit spool in the test's directory: on
		// PostgreSQL its default is ./emp-data, the source tree here.
		spool := filepath.Join(t.TempDir(), "audit-spool")
		start := func() *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"serve", "--addr", addr, "--db", db, "--audit-spool", spool, "--log-level", "error"}, "\x1f"))
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

		const size = 400
		bundle := func(n int) string {
			entries := make([]string, size)
			for i := range entries {
				entries[i] = fmt.Sprintf(`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":{"resourceType":"Patient","identifier":[{"system":"urn:tx","value":"%d"}],"link":[{"type":"seealso","other":{"reference":"urn:uuid:00000000-0000-4000-8000-%012d"}}]},"request":{"method":"POST","url":"Patient"}}`, i, n, (i+1)%size)
			}
			return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
		}
		var (
			mu         sync.Mutex
			sent, aced []int
			done       = make(chan struct{})
		)
		go func() {
			defer close(done)
			for n := 0; ; n++ {
				mu.Lock()
				sent = append(sent, n)
				mu.Unlock()
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/fhir/r4", strings.NewReader(bundle(n)))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/fhir+json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					aced = append(aced, n)
					mu.Unlock()
				}
			}
		}()
		for {
			mu.Lock()
			n := len(aced)
			mu.Unlock()
			if n >= 3 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := server.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		server.Wait()
		<-done

		start()
		mu.Lock()
		defer mu.Unlock()
		acked := map[int]bool{}
		for _, n := range aced {
			acked[n] = true
		}
		for _, n := range sent {
			code, body := get(t, fmt.Sprintf("http://%s/fhir/r4/Patient?identifier=urn:tx|%d&_summary=count", addr, n), token)
			var b struct{ Total int }
			if code != http.StatusOK || json.Unmarshal([]byte(body), &b) != nil {
				t.Fatalf("count: %d %s", code, body)
			}
			switch {
			case b.Total != 0 && b.Total != size:
				t.Fatalf("transaction %d is there in part after SIGKILL: %d of %d", n, b.Total, size)
			case acked[n] && b.Total != size:
				t.Fatalf("acknowledged transaction %d lost after SIGKILL", n)
			}
		}
		t.Logf("%d transactions sent, %d acknowledged; each all or nothing after SIGKILL", len(sent), len(aced))
	})
}
