package authtest

import (
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

func testUsers(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	u := auth.User{ID: "u1", Username: "maria", PasswordHash: "pbkdf2$x", Role: "clinician", Practitioner: "pr-1",
		Name: "Maria Lopez", Email: "maria@clinic.example", Disabled: true, CreatedAt: at(0)}
	must(t, s.CreateUser(ctx, u))
	must(t, s.CreateUser(ctx, auth.User{ID: "u2", Username: "admin", Role: "admin"}))
	must(t, s.CreateUser(ctx, auth.User{ID: "u3", Username: "zed", Role: "front-office"}))

	got, err := s.UserByID(ctx, "u1")
	must(t, err)
	same(t, "user by id", got, u)
	got, err = s.UserByUsername(ctx, "maria")
	must(t, err)
	same(t, "user by username", got, u)

	cases := []struct {
		name string
		u    auth.User
	}{
		{"taken id", auth.User{ID: "u1", Username: "other"}},
		{"taken username", auth.User{ID: "u9", Username: "maria"}},
	}
	for _, c := range cases {
		wantKind(t, c.name, s.CreateUser(ctx, c.u), errs.Conflict)
	}
	_, err = s.UserByID(ctx, "nope")
	wantKind(t, "unknown id", err, errs.NotFound)
	_, err = s.UserByUsername(ctx, "Maria")
	wantKind(t, "usernames are compared exactly", err, errs.NotFound)

	list, err := s.Users(ctx)
	must(t, err)
	var names []string
	for _, u := range list {
		names = append(names, u.Username)
	}
	same(t, "users by username", names, []string{"admin", "maria", "zed"})
	same(t, "listed user", list[1], u)
}

func testPatientUsers(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	u := auth.PatientUser{ID: "p1", Username: "amy", PasswordHash: "pbkdf2$y", Patient: "pat-1",
		Name: "Amy Shaw", Email: "amy@mail.example", CreatedAt: at(0)}
	must(t, s.CreatePatientUser(ctx, u))
	must(t, s.CreatePatientUser(ctx, auth.PatientUser{ID: "p2", Username: "bob", Patient: "pat-2", Disabled: true}))
	// Staff and patient usernames are separate namespaces.
	must(t, s.CreateUser(ctx, auth.User{ID: "s1", Username: "amy"}))

	got, err := s.PatientUserByID(ctx, "p1")
	must(t, err)
	same(t, "patient user by id", got, u)
	got, err = s.PatientUserByUsername(ctx, "amy")
	must(t, err)
	same(t, "patient user by username", got, u)

	wantKind(t, "taken id", s.CreatePatientUser(ctx, auth.PatientUser{ID: "p1", Username: "new"}), errs.Conflict)
	wantKind(t, "taken username", s.CreatePatientUser(ctx, auth.PatientUser{ID: "p9", Username: "bob"}), errs.Conflict)
	_, err = s.PatientUserByID(ctx, "s1")
	wantKind(t, "a staff id is no patient user", err, errs.NotFound)
	_, err = s.PatientUserByUsername(ctx, "nobody")
	wantKind(t, "unknown username", err, errs.NotFound)

	list, err := s.PatientUsers(ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != "p1" || list[1].ID != "p2" || !list[1].Disabled {
		t.Errorf("patient users: %+v", list)
	}
}
