package authtest

import (
	"context"
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

// testSessions: sessions are found by hash with their times; touching
// renews them; ending one ends its children; ending a user's ends all of
// that user's (and their children) and no one else's.
func testSessions(t *testing.T, s auth.Storage) {
	ctx := context.Background()
	mk := func(hash, purpose, account, user, parent string) auth.Session {
		return auth.Session{Hash: hash, Purpose: purpose, Account: account, UserID: user, Parent: parent,
			CreatedAt: at(0), SeenAt: at(0), IdleExpiresAt: at(30 * 60e9), ExpiresAt: at(12 * 3600e9)}
	}
	for _, x := range []auth.Session{
		mk("a1", "admin", auth.AccountStaff, "u1", ""),
		mk("p1", "patient", auth.AccountPatient, "u1", ""), // same id, other account
		mk("sso1", auth.SessionSSO, auth.AccountPatient, "u1", "p1"),
		mk("l2", auth.SessionLogin, auth.AccountStaff, "u2", ""),
		mk("sso2", auth.SessionSSO, auth.AccountStaff, "u2", "l2"),
	} {
		must(t, s.CreateSession(ctx, x))
	}
	wantKind(t, "a second session with one hash", s.CreateSession(ctx, mk("a1", "admin", auth.AccountStaff, "u9", "")), errs.Conflict)
	got, err := s.Session(ctx, "sso1")
	must(t, err)
	if want := mk("sso1", auth.SessionSSO, auth.AccountPatient, "u1", "p1"); got != want {
		t.Errorf("Session = %+v, want %+v", got, want)
	}
	if !got.Live(at(0)) || got.Live(at(30*60e9)) {
		t.Error("Live does not follow the idle expiry")
	}
	must(t, s.TouchSession(ctx, "a1", at(10*60e9), at(40*60e9)))
	if got, _ := s.Session(ctx, "a1"); !got.SeenAt.Equal(at(10*60e9)) || !got.IdleExpiresAt.Equal(at(40*60e9)) {
		t.Errorf("after TouchSession: %+v", got)
	}
	wantKind(t, "touching an unknown session", s.TouchSession(ctx, "nope", at(0), at(0)), errs.NotFound)
	_, err = s.Session(ctx, "nope")
	wantKind(t, "an unknown session", err, errs.NotFound)

	must(t, s.EndSession(ctx, "p1"))
	must(t, s.EndSession(ctx, "p1")) // again: not an error
	for _, h := range []string{"p1", "sso1"} {
		_, err := s.Session(ctx, h)
		wantKind(t, "session "+h+" after its parent ended", err, errs.NotFound)
	}
	if _, err := s.Session(ctx, "a1"); err != nil {
		t.Errorf("ending another user's session ended a1: %v", err)
	}

	must(t, s.EndUserSessions(ctx, auth.AccountStaff, "u2"))
	for _, h := range []string{"l2", "sso2"} {
		_, err := s.Session(ctx, h)
		wantKind(t, "session "+h+" after EndUserSessions", err, errs.NotFound)
	}
	if _, err := s.Session(ctx, "a1"); err != nil {
		t.Errorf("ending u2's sessions ended u1's: %v", err)
	}
}

// testSetPasswordHash: the new hash is the user's; an unknown user is
// NotFound.
func testSetPasswordHash(t *testing.T, s auth.Storage) {
	ctx := context.Background()
	must(t, s.CreateUser(ctx, auth.User{ID: "s1", Username: "staff", PasswordHash: "old", Role: "admin", CreatedAt: at(0)}))
	must(t, s.CreatePatientUser(ctx, auth.PatientUser{ID: "p1", Username: "pat", PasswordHash: "old", Patient: "P", CreatedAt: at(0)}))
	must(t, s.SetPasswordHash(ctx, auth.AccountStaff, "s1", "new-staff"))
	must(t, s.SetPasswordHash(ctx, auth.AccountPatient, "p1", "new-patient"))
	if u, _ := s.UserByID(ctx, "s1"); u.PasswordHash != "new-staff" {
		t.Errorf("staff hash %q", u.PasswordHash)
	}
	if u, _ := s.PatientUserByID(ctx, "p1"); u.PasswordHash != "new-patient" {
		t.Errorf("patient hash %q", u.PasswordHash)
	}
	wantKind(t, "an unknown staff user", s.SetPasswordHash(ctx, auth.AccountStaff, "p1", "x"), errs.NotFound)
	wantKind(t, "an unknown patient user", s.SetPasswordHash(ctx, auth.AccountPatient, "s1", "x"), errs.NotFound)
}
