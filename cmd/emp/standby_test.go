package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestReadOnlyCommandsOnStandby: emp export, emp audit and emp token only
// read, so they run against a hot standby (which refuses every write) without
// migrating; a command that writes is refused there.
func TestReadOnlyCommandsOnStandby(t *testing.T) {
	sb := storetest.NewStandby(t)
	ctx := context.Background()
	app, err := server.Open(ctx, server.Config{DB: sb.PrimaryURL, BaseURL: "http://127.0.0.1:8300"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := fhirjson.Decode([]byte(`{"resourceType":"Patient","name":[{"family":"OnStandby"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.Create(ctx, "Patient", body, search.Compartment{}); err != nil {
		t.Fatal(err)
	}
	// A served database has its signing key (made at the first token).
	if _, err := app.MintToken(ctx, server.TokenRequest{Subject: "s", ClientID: "c", Scope: "user/*.rs", TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	app.Close()
	sb.WaitReplayed(t)

	env := func(string) string { return "" }
	out := t.TempDir()
	var stdout bytes.Buffer
	if err := run(ctx, []string{"export", "--db", sb.StandbyURL, "--type", "Patient", "--out", out}, env, &stdout, io.Discard); err != nil {
		t.Fatalf("emp export on the standby: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*Patient*.ndjson"))
	if len(files) != 1 {
		t.Fatalf("export files: %v (%s)", files, stdout.String())
	}
	if b, _ := os.ReadFile(files[0]); !strings.Contains(string(b), "OnStandby") {
		t.Fatalf("the export lacks the patient: %s", b)
	}
	stdout.Reset()
	if err := run(ctx, []string{"audit", "--db", sb.StandbyURL}, env, &stdout, io.Discard); err != nil || !strings.Contains(stdout.String(), "ACTOR") {
		t.Fatalf("emp audit on the standby: %v %s", err, stdout.String())
	}
	stdout.Reset()
	if err := run(ctx, []string{"token", "--db", sb.StandbyURL, "--scope", "user/*.rs"}, env, &stdout, io.Discard); err != nil || strings.Count(stdout.String(), ".") != 2 {
		t.Fatalf("emp token on the standby: %v %q", err, stdout.String())
	}
	// The standby's token is the primary's: a server on the primary accepts it.
	p, err := server.Open(ctx, server.Config{DB: sb.PrimaryURL, BaseURL: "http://127.0.0.1:8300"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Gate.Verify(ctx, strings.TrimSpace(stdout.String())); err != nil {
		t.Fatalf("the primary's server refuses the standby's token: %v", err)
	}
	err = run(ctx, []string{"user", "add", "--db", sb.StandbyURL, "--username", "late", "--password", "long enough password"}, env, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("a command that writes succeeded on a standby")
	}
}
