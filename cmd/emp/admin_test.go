package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/server"
)

// emp runs one command against db and returns its output.
func emp(t *testing.T, db string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append(args, "--db", db), noEnv, &out, io.Discard)
	return out.String(), err
}

func mustEmp(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, err := emp(t, db, args...)
	if err != nil {
		t.Fatalf("emp %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestOperatorCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	mustEmp(t, db, "seed", "--patients", "1")

	// Clients: added by the operator, approved, listed, disabled.
	out := mustEmp(t, db, "client", "add", "--name", "Chart viewer", "--type", "confidential",
		"--redirect-uri", "https://app.example/cb", "--scope", "openid fhirUser launch user/Patient.rs")
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Status       string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &reg); err != nil || reg.ClientID == "" || reg.ClientSecret == "" || reg.Status != "approved" {
		t.Fatalf("client add printed %q (%v)", out, err)
	}
	pub := mustEmp(t, db, "client", "add", "--name", "Pocket app", "--type", "public",
		"--redirect-uri", "https://pocket.example/cb", "--scope", "openid launch/patient patient/*.rs", "--launch-uri", "https://pocket.example/launch")
	if strings.Contains(pub, "client_secret") {
		t.Errorf("a public client got a secret: %s", pub)
	}
	list := mustEmp(t, db, "client", "list")
	if !strings.Contains(list, reg.ClientID) || !strings.Contains(list, "Pocket app") {
		t.Errorf("client list:\n%s", list)
	}
	if out := mustEmp(t, db, "client", "disable", reg.ClientID); !strings.Contains(out, "disabled") {
		t.Errorf("disable: %s", out)
	}
	if _, err := emp(t, db, "client", "approve", "-no-such-client"); err == nil || !strings.Contains(err.Error(), "not") {
		t.Errorf("an id starting with a dash: %v", err)
	}
	if _, err := emp(t, db, "client", "approve", "no-such-client"); err == nil {
		t.Error("approving an unknown client succeeded")
	}
	if _, err := emp(t, db, "client", "add", "--name", "x", "--type", "sideways", "--redirect-uri", "https://x.example/cb"); err == nil {
		t.Error("a client of unknown type was added")
	}

	// Users.
	if out := mustEmp(t, db, "user", "add", "--username", "dr.who", "--password", "long enough pass", "--role", "clinician"); !strings.Contains(out, "dr.who") {
		t.Errorf("user add: %s", out)
	}
	if _, err := emp(t, db, "user", "add", "--username", "dr.who", "--password", "long enough pass"); err == nil {
		t.Error("a second user with the same username was added")
	}
	if _, err := emp(t, db, "user", "add", "--username", "short", "--password", "1234"); err == nil {
		t.Error("a short password was accepted")
	}
	if _, err := emp(t, db, "user", "add", "--username", "boss", "--password", "long enough pass", "--role", "emperor"); err == nil {
		t.Error("an unknown role was accepted")
	}
	if _, err := emp(t, db, "user", "add-patient", "--patient", "nobody", "--username", "p", "--password", "long enough pass"); err == nil {
		t.Error("a portal user for an unknown patient was added")
	}

	// Settings.
	mustEmp(t, db, "settings", "set", "password_grant=on", "app_approval=manual", "site_address=https://ehr.example.org")
	if got := strings.TrimSpace(mustEmp(t, db, "settings", "get", "app_approval")); got != "manual" {
		t.Errorf("app_approval = %q", got)
	}
	for _, bad := range []string{"app_approval=sometimes", "no_such_setting=1", "site_address=ftp://x", "site_address=http://clinic.example", "standard_api"} {
		if _, err := emp(t, db, "settings", "set", bad); err == nil {
			t.Errorf("settings set %s accepted", bad)
		}
	}
	if _, err := emp(t, db, "settings", "get", "web_session_key"); err == nil {
		t.Error("settings get printed an internal value")
	}
	if list := mustEmp(t, db, "settings", "list"); !strings.Contains(list, "password_grant") || !strings.Contains(list, "(unset)") {
		t.Errorf("settings list:\n%s", list)
	}

	// An EHR launch of the public app prints its launch URL with iss and launch.
	var pubReg struct {
		ClientID string `json:"client_id"`
	}
	json.Unmarshal([]byte(pub), &pubReg)
	id := firstPatientID(t, db)
	out = mustEmp(t, db, "launch", "--client", pubReg.ClientID, "--patient", id)
	if !strings.HasPrefix(out, "https://pocket.example/launch?") || !strings.Contains(out, "launch=") || !strings.Contains(out, "iss=") {
		t.Errorf("launch printed %q", out)
	}
	if _, err := emp(t, db, "launch", "--client", pubReg.ClientID, "--patient", "nobody"); err == nil {
		t.Error("a launch for an unknown patient succeeded")
	}
}

// firstPatientID reads one patient id straight from the store.
func firstPatientID(t *testing.T, db string) string {
	t.Helper()
	fs := newFlagSet("test", noEnv, io.Discard)
	sf := addServerFlags(fs)
	if err := fs.parse([]string{"--db", db}); err != nil {
		t.Fatal(err)
	}
	app, err := openApp(context.Background(), sf)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	id, err := app.FirstPatient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAuditCommand(t *testing.T) {
	addr := freeAddr(t)
	db := filepath.Join(t.TempDir(), "emp.db")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--db", db, "--log-level", "error"}, noEnv, io.Discard, io.Discard)
	}()
	waitReady(t, addr)
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--scope", "user/*.cruds", "--subject", "auditor-test", "--addr", addr, "--db", db}, noEnv, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, "http://"+addr+"/fhir/r4/Patient/nobody", strings.TrimSpace(tok.String())); code != 404 {
		t.Fatalf("read: %d", code)
	}
	cancel()
	<-done // the audit buffer is flushed on shutdown
	out := mustEmp(t, db, "audit", "--user", "auditor-test")
	if !strings.Contains(out, "/fhir/r4/Patient/nobody") || !strings.Contains(out, "404") {
		t.Errorf("audit:\n%s", out)
	}
	if out := mustEmp(t, db, "audit", "--user", "someone-else"); strings.Contains(out, "/fhir/r4/") {
		t.Errorf("filter by user ignored:\n%s", out)
	}
	if _, err := emp(t, db, "audit", "--since", "last week"); err == nil {
		t.Error("a malformed --since was accepted")
	}
}

func TestExportCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	mustEmp(t, db, "seed", "--patients", "2")
	out := filepath.Join(t.TempDir(), "export")
	got := mustEmp(t, db, "export", "--type", "Patient,Condition", "--out", out)
	if !strings.Contains(got, "exported ") {
		t.Errorf("export printed %q", got)
	}
	manifest, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), `"Patient"`) || strings.Contains(string(manifest), `"Observation"`) {
		t.Errorf("manifest: %s", manifest)
	}
	if _, err := emp(t, db, "export", "--type", "Patient"); err == nil {
		t.Error("an export without --out ran")
	}
	if _, err := emp(t, db, "export", "--type", "NoSuchType", "--out", out); err == nil {
		t.Error("an unknown type was exported")
	}
}

// TestUserPassword: emp user password sets the new password and ends the
// user's sessions; an unknown user or a short password is an error.
func TestUserPassword(t *testing.T) {
	db := filepath.Join(t.TempDir(), "emp.db")
	mustEmp(t, db, "user", "add", "--username", "ada", "--password", "first-password", "--role", "admin")
	ctx := context.Background()
	app, err := server.Open(ctx, server.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	u, err := app.Store.UserByUsername(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := app.Store.CreateSession(ctx, auth.Session{Hash: "h", Purpose: "admin", Account: auth.AccountStaff, UserID: u.ID,
		CreatedAt: now, SeenAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	app.Close()
	if out := mustEmp(t, db, "user", "password", "--username", "ada", "--password", "second-password"); !strings.Contains(out, "changed") {
		t.Errorf("output %q", out)
	}
	for _, args := range [][]string{
		{"user", "password", "--username", "nobody", "--password", "second-password"},
		{"user", "password", "--username", "ada", "--password", "short"},
		{"user", "password", "--username", "ada", "--password", "second-password", "--patient-user"},
	} {
		if _, err := emp(t, db, args...); err == nil {
			t.Errorf("emp %s: no error", strings.Join(args, " "))
		}
	}
	app, err = server.Open(ctx, server.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if _, err := app.Store.Session(ctx, "h"); err == nil {
		t.Error("the user's session outlived the password change")
	}
	u, _ = app.Store.UserByUsername(ctx, "ada")
	if ok, _ := (auth.Argon2id{}).Verify(u.PasswordHash, "second-password"); !ok {
		t.Error("the new password does not verify")
	}
}
