package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsBeforeOrAfterArguments: every command takes its flags before,
// between or after its arguments; "--" ends the flags.
func TestFlagsBeforeOrAfterArguments(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	out := mustEmp(t, db, "client", "add", "--name", "Flag app", "--type", "public",
		"--redirect-uri", "https://flag.example/cb", "--scope", "openid patient/*.rs")
	var reg struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal([]byte(out), &reg); err != nil || reg.ClientID == "" {
		t.Fatalf("client add printed %q (%v)", out, err)
	}
	tests := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"settings set, flag first", []string{"settings", "set", "--db", db, "password_grant=on"}, "password_grant=on", ""},
		{"settings get, flag first", []string{"settings", "get", "--db", db, "password_grant"}, "on", ""},
		{"settings set, flag last", []string{"settings", "set", "app_approval=manual", "--db", db}, "app_approval=manual", ""},
		{"settings set, flag between", []string{"settings", "set", "api_log=on", "--db=" + db, "portal_api=on"}, "portal_api=on", ""},
		{"settings get, flag last", []string{"settings", "get", "app_approval", "--db", db}, "manual", ""},
		{"settings after --", []string{"settings", "set", "--db", db, "--", "standard_api=on"}, "standard_api=on", ""},
		{"settings list, flag first", []string{"settings", "list", "--db", db}, "portal_api", ""},
		{"client disable, flag first", []string{"client", "disable", "--db", db, reg.ClientID}, "disabled", ""},
		{"client approve, flag last", []string{"client", "approve", reg.ClientID, "--db", db}, "approved", ""},
		{"client approve, an id with a dash after --", []string{"client", "approve", "--db", db, "--", "-no-such"}, "", "not"},
		{"client approve, no id", []string{"client", "approve", "--db", db}, "", "usage: emp client approve CLIENT_ID"},
		{"client approve, two ids", []string{"client", "approve", reg.ClientID, "--db", db, "other"}, "", "usage: emp client approve CLIENT_ID"},
		{"settings get, two keys", []string{"settings", "get", "--db", db, "api_log", "portal_api"}, "", "usage: emp settings get KEY"},
		{"a stray argument after flags", []string{"migrate", "--db", db, "extra"}, "", `unexpected argument "extra"`},
		{"a stray argument before flags", []string{"client", "list", "extra", "--db", db}, "", `unexpected argument "extra"`},
		{"an unknown flag after an argument", []string{"settings", "get", "api_log", "--nope", "--db", db}, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, noEnv, &out, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run %q: %v", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run %q = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("run %q printed %q, want %q in it", tt.args, out.String(), tt.wantOut)
			}
		})
	}
}

// TestCommandsUseTheServedBaseURL: emp serve records the base URL it serves
// under, and emp token and emp launch, run beside it without --addr or
// --base-url, mint for it: the server accepts the token and the launch names
// it as iss, whatever its port. An explicit --addr or --base-url still wins.
func TestCommandsUseTheServedBaseURL(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	mustEmp(t, db, "seed", "--patients", "1")
	out := mustEmp(t, db, "client", "add", "--name", "Launch app", "--type", "public",
		"--redirect-uri", "https://launch.example/cb", "--scope", "openid launch patient/*.rs", "--launch-uri", "https://launch.example/launch")
	var reg struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal([]byte(out), &reg); err != nil || reg.ClientID == "" {
		t.Fatalf("client add printed %q (%v)", out, err)
	}
	patient := firstPatientID(t, db)

	addr := freeAddr(t) // never the default port
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--db", db, "--log-level", "error"}, noEnv, io.Discard, io.Discard)
	}()
	defer func() { cancel(); <-done }()
	waitReady(t, addr)
	served := "http://" + addr

	tests := []struct {
		name     string
		flags    []string
		wantCode int    // the server's answer to the token
		wantIss  string // the launch URL's iss
	}{
		{"no flags: the served base", nil, http.StatusOK, served + "/fhir/r4"},
		{"--addr wins", []string{"--addr", "127.0.0.1:8300"}, http.StatusUnauthorized, "http://127.0.0.1:8300/fhir/r4"},
		{"--base-url wins", []string{"--base-url", "https://elsewhere.example"}, http.StatusUnauthorized, "https://elsewhere.example/fhir/r4"},
		{"--addr of the server itself", []string{"--addr", addr}, http.StatusOK, served + "/fhir/r4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustEmp(t, db, append([]string{"token", "--scope", "user/*.rs"}, tt.flags...)...)
			if code, body := get(t, served+"/fhir/r4/Patient/"+patient, strings.TrimSpace(tok)); code != tt.wantCode {
				t.Errorf("read with the token: %d %.200s, want %d", code, body, tt.wantCode)
			}
			launch := strings.TrimSpace(mustEmp(t, db, append([]string{"launch", "--client", reg.ClientID, "--patient", patient}, tt.flags...)...))
			u, err := url.Parse(launch)
			if err != nil {
				t.Fatalf("launch printed %q: %v", launch, err)
			}
			if iss := u.Query().Get("iss"); iss != tt.wantIss {
				t.Errorf("launch iss = %q, want %q", iss, tt.wantIss)
			}
		})
	}
}
