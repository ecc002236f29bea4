package auth

import (
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

func TestAddUserRules(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		nu   NewUser
		ok   bool
	}{
		{"clinician", NewUser{Username: "drj", Password: "long enough", Role: "clinician"}, true},
		{"unknown role", NewUser{Username: "x", Password: "long enough", Role: "patient"}, false},
		{"short password", NewUser{Username: "y", Password: "short", Role: "admin"}, false},
		{"blank username", NewUser{Username: " ", Password: "long enough", Role: "admin"}, false},
		{"taken username", NewUser{Username: "drj", Password: "long enough", Role: "admin"}, false},
	}
	for _, tc := range cases {
		u, err := e.srv.AddUser(bg, tc.nu)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err == nil && (u.PasswordHash == tc.nu.Password || u.PasswordHash == "") {
			t.Errorf("%s: password stored as %q", tc.name, u.PasswordHash)
		}
	}
}

func TestNewLaunchRules(t *testing.T) {
	e := newEnv(t)
	id, _ := e.confidentialClient("launch openid patient/Patient.rs")
	if _, _, err := e.srv.NewLaunch(bg, LaunchRequest{ClientID: id, Patient: "pat-404"}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown patient: %v", err)
	}
	if _, _, err := e.srv.NewLaunch(bg, LaunchRequest{ClientID: "nobody", Patient: "pat-1"}); err == nil {
		t.Error("unknown client accepted")
	}
	v, _, err := e.srv.NewLaunch(bg, LaunchRequest{ClientID: id, Patient: "pat-1"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := e.store.Launch(bg, HashSecret(v))
	if err != nil || l.Patient != "pat-1" || !l.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("%+v %v", l, err)
	}
	// An expired launch is refused at authorize.
	e.clock.Advance(61 * time.Minute)
	_, challenge := pkce()
	p := e.authParams(id, "launch openid patient/Patient.rs", challenge)
	p.Set("launch", v)
	b := e.browser()
	b.Open(e.authorizeURL(p))
	if q := b.redirected(); q.Get("error") != errInvalidRequest {
		t.Errorf("expired launch: %v", q)
	}
}
