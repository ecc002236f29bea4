package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSetupSaves: the FHIR setup form writes each changed setting and
// records it in the audit log, where the API log page finds it.
func TestSetupSaves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		ctx := context.Background()
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		status, _, res := b.Post("/admin/setup", url.Values{"csrf": {b.CSRF("/admin/setup")}, "standard_api": {"on"},
			"app_approval": {"manual"}, "api_log": {"on"}, "site_address": {"https://ehr.example.org/"}})
		if status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/setup?saved=1" {
			t.Fatalf("status %d location %q", status, res.Header.Get("Location"))
		}
		for key, want := range map[string]string{"standard_api": "on", "app_approval": "manual", "api_log": "on",
			"site_address": "https://ehr.example.org"} {
			if got, err := s.Storage.Setting(ctx, key); err != nil || got != want {
				t.Errorf("%s = %q (%v), want %q", key, got, err, want)
			}
		}
		for _, key := range []string{"portal_api", "password_grant"} { // unchanged: still unset
			if got, err := s.Storage.Setting(ctx, key); err == nil {
				t.Errorf("%s was written (%q) though it did not change", key, got)
			}
		}
		s.Store.FlushAudit()
		evs, err := s.Store.ListAudit(ctx, store.AuditFilter{PathPrefix: "/admin/setup"})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 4 {
			t.Errorf("%d audit rows for 4 changed settings", len(evs))
		}
		for _, q := range []string{"path=/admin/setup", "user=" + adminUser, "status=303&path=/admin/"} {
			if _, body, _ := b.Get("/admin/apilog?" + q); !strings.Contains(body, "app_approval=manual") {
				t.Errorf("the API log page filtered by %s does not show the change", q)
			}
		}
		if _, body, _ := b.Get("/admin/apilog?user=" + patientUser); strings.Contains(body, "app_approval=manual") {
			t.Error("the API log filtered by another user shows the administrator's change")
		}
		// With approval manual, even a patient standalone app waits.
		_, body, _ := b.Post("/register", url.Values{"csrf": {b.CSRF("/register")}, "client_name": {"Diary"}, "type": {"public"},
			"redirect_uris": {"https://diary.example/cb"}, "scope": {"launch/patient", "patient/*.rs"}})
		if !strings.Contains(body, `id="client-status">pending`) {
			t.Error("with manual approval a patient app did not wait")
		}
	})
}

// TestClientActions: approve, disable, re-enable, rotate the secret (shown
// once, and the one now stored) and delete, each from the clients page.
func TestClientActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		ctx := context.Background()
		reg, err := s.Auth.Register(ctx, auth.ClientMetadata{ClientName: "Billing", ApplicationType: "private",
			RedirectURIs: []string{"https://billing.example/cb"}, Scope: "openid user/*.rs"}, false)
		if err != nil {
			t.Fatal(err)
		}
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		if _, body, _ := b.Get("/admin/clients"); !strings.Contains(body, `<span class="badge" title="awaiting approval">1`) {
			t.Error("no pending badge for the waiting client")
		}
		act := func(action string) (int, string) {
			status, body, _ := b.Post("/admin/clients/"+reg.ClientID+"/"+action, url.Values{"csrf": {b.CSRF("/admin/clients")}})
			return status, body
		}
		for _, tc := range []struct {
			action string
			want   auth.ClientStatus
		}{{"approve", auth.ClientApproved}, {"disable", auth.ClientDisabled}, {"enable", auth.ClientApproved}} {
			if status, _ := act(tc.action); status != http.StatusSeeOther {
				t.Fatalf("%s: status %d", tc.action, status)
			}
			if c, _ := s.Storage.Client(ctx, reg.ClientID); c.Status != tc.want {
				t.Errorf("after %s: %s, want %s", tc.action, c.Status, tc.want)
			}
			// A token the client held before is refused once the page
			// disabled it, and stays refused after it is enabled again.
			held := auth.TokenRef{JTI: "held", ClientID: reg.ClientID, IssuedAt: time.Now().Add(-time.Minute).Truncate(time.Second)}
			if revoked, err := s.Storage.Revoked(ctx, held); err != nil || revoked != (tc.action != "approve") {
				t.Errorf("after %s: token held before revoked = %v (%v)", tc.action, revoked, err)
			}
		}
		status, body := act("rotate")
		m := regexp.MustCompile(`id="new-secret">([^<]+)<`).FindStringSubmatch(body)
		if status != http.StatusOK || m == nil {
			t.Fatalf("rotate: status %d, no secret shown", status)
		}
		if c, _ := s.Storage.Client(ctx, reg.ClientID); c.SecretHash != auth.HashSecret(m[1]) || m[1] == reg.ClientSecret {
			t.Error("the stored secret is not the one shown")
		}
		if status, body, _ := b.Get("/admin/clients/" + reg.ClientID + "/delete"); status != http.StatusOK || !strings.Contains(body, "Delete Billing?") {
			t.Errorf("delete confirmation: status %d", status)
		}
		if status, _, _ := b.Get("/admin/clients/nope/delete"); status != http.StatusNotFound {
			t.Errorf("delete confirmation of an unknown client: status %d", status)
		}
		if c, _ := s.Storage.Client(ctx, reg.ClientID); c.ID == "" {
			t.Fatal("the confirmation page deleted the client")
		}
		if status, _ := act("delete"); status != http.StatusSeeOther {
			t.Fatalf("delete: status %d", status)
		}
		if _, err := s.Storage.Client(ctx, reg.ClientID); err == nil {
			t.Error("the deleted client is still there")
		}

		// Each action is in the audit log with the administrator who took it.
		admin, err := s.Storage.UserByUsername(ctx, adminUser)
		if err != nil {
			t.Fatal(err)
		}
		s.Store.FlushAudit()
		evs, err := s.Store.ListAudit(ctx, store.AuditFilter{Actor: admin.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, ev := range evs {
			if ev.ResID == reg.ClientID {
				seen[ev.Action]++
			}
		}
		for _, a := range []string{"client-approve", "client-disable", "client-enable", "client-rotate-secret", "client-delete"} {
			if seen[a] != 1 {
				t.Errorf("audit rows of %s by the administrator: %d, want 1 (all: %v)", a, seen[a], seen)
			}
		}
	})
}

// TestUsersPage: an administrator adds a clinician and portal credentials,
// and both can then sign in where they belong.
func TestUsersPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		for _, f := range []url.Values{
			{"form": {"staff"}, "username": {"nurse"}, "password": {"nurse-password"}, "role": {"admin"}, "name": {"Nora Nurse"}},
			{"form": {"patient"}, "username": {"pat2"}, "password": {"pat2-password"}, "patient": {s.Patient}},
		} {
			f.Set("csrf", b.CSRF("/admin/users"))
			if status, _, _ := b.Post("/admin/users", f); status != http.StatusSeeOther {
				t.Fatalf("add %s: status %d", f.Get("username"), status)
			}
		}
		if _, body, _ := b.Get("/admin/users"); !strings.Contains(body, "Nora Nurse") || !strings.Contains(body, "pat2") {
			t.Error("the users page does not list the new users")
		}
		s.browser(t).Login("/admin/login", "nurse", "nurse-password")
		s.browser(t).Login("/patientlogin.aspx", "pat2", "pat2-password")
	})
}
