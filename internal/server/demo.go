package server

import (
	"context"
	"errors"
	"net/url"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/httpx"
)

// DemoAccount is a sign-in the demo creates.
type DemoAccount struct {
	Role, Username, Password, Patient string
}

// The demo's accounts have well-known passwords so that a newcomer can sign
// in from the README. SetupDemo therefore refuses a site that is not served
// on a loopback address.
var demoAccounts = []DemoAccount{
	{Role: "admin", Username: "admin", Password: "admin-demo-pass"},
	{Role: "clinician", Username: "clinician", Password: "clinician-demo-pass"},
	{Role: "patient", Username: "patient", Password: "patient-demo-pass"},
}

// SetupDemo switches the standard and portal APIs on, registers the demo
// SMART app, and creates the demo sign-ins: an administrator, a clinician,
// and a portal user for the first demo patient. Accounts that exist already are left alone, so a restart
// changes nothing.
func (a *App) SetupDemo(ctx context.Context) ([]DemoAccount, error) {
	if u, err := url.Parse(a.BaseURL); err != nil || !httpx.IsLoopback(u.Host) {
		return nil, errors.New("--demo creates accounts with well-known passwords and runs on a loopback address only")
	}
	// Nodes started together make the accounts once: under the start
	// lock each finds what the one before it made.
	release, err := a.Store.StartLock(ctx, "demo")
	if err != nil {
		return nil, err
	}
	defer release()
	for _, k := range []string{SettingStandardAPI, SettingPortalAPI} {
		if _, err := a.Store.Setting(ctx, k); errs.KindOf(err) == errs.NotFound {
			if err := a.Store.SetSetting(ctx, k, "on"); err != nil {
				return nil, err
			}
		}
	}
	if _, err := a.Site.EnsureDemoClient(ctx); err != nil {
		return nil, err
	}
	patient, err := a.FirstPatient(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]DemoAccount, 0, len(demoAccounts))
	for _, acc := range demoAccounts {
		acc.Patient = ""
		switch acc.Role {
		case "patient":
			acc.Patient = patient
			_, err = a.Store.PatientUserByUsername(ctx, acc.Username)
			if errs.KindOf(err) == errs.NotFound {
				_, err = a.Auth.AddPatientUser(ctx, auth.NewPatientUser{Username: acc.Username, Password: acc.Password,
					Patient: patient, Name: "Demo patient"})
			}
		default:
			_, err = a.Store.UserByUsername(ctx, acc.Username)
			if errs.KindOf(err) == errs.NotFound {
				_, err = a.Auth.AddUser(ctx, auth.NewUser{Username: acc.Username, Password: acc.Password, Role: acc.Role,
					Name: "Demo " + acc.Role})
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, acc)
	}
	return out, nil
}

// FirstPatient is the demo patient the portal user sees: the first by
// family name, so the same one on every start.
func (a *App) FirstPatient(ctx context.Context) (string, error) {
	q, err := search.Parse("Patient", url.Values{"_count": {"1"}, "_sort": {"family"}}, search.Options{})
	if err != nil {
		return "", err
	}
	res, err := a.Store.Search(ctx, q)
	if err != nil {
		return "", err
	}
	if len(res.Resources) == 0 {
		return "", errors.New("the demo needs at least one patient")
	}
	return res.Resources[0].ID, nil
}
