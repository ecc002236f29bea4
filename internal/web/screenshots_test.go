package web_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
)

// topOfPage photographs the page from its top, as a JPEG of the given
// quality, at most shotHeight(width) tall: a long list shows its start,
// which keeps each file small.
func topOfPage(width int64, quality int64) chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		h, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollHeight`))
		if err != nil {
			return nil, err
		}
		maxH := 1500.0
		if width < 600 {
			maxH = 2000
		}
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatJpeg, Quality: &quality, CaptureBeyondViewport: ptrTo(true), FromSurface: ptrTo(true),
			Clip: &page.Viewport{Width: float64(width), Height: min(h, maxH), Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
}

func ptrTo[T any](v T) *T { return &v }

// EnvScreenshots names the directory TestPageScreenshots writes to
// (docs/pages in the repository); the test is skipped without it.
const EnvScreenshots = "EMP_SCREENSHOTS"

// TestPageScreenshots photographs every page at 1280 and 390 px, as
// compressed JPEGs, for docs/pages (tools/screenshots runs it). It checks
// nothing a scenario test does not; it fails only when a page cannot be
// reached.
func TestPageScreenshots(t *testing.T) {
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		t.Skip("set " + EnvScreenshots + " to a directory to write the pages' screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := newChrome(t)
	s := newSite(t, "sqlite")
	ctx := context.Background()
	for k, v := range map[string]string{auth.SettingSiteName: "Riverside Family Practice"} {
		if err := s.Storage.SetSetting(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := s.Auth.Register(ctx, auth.ClientMetadata{ClientName: "Growth Chart", RedirectURIs: []string{"https://growth.example/cb"},
		InitiateLoginURI: "https://growth.example/launch", TokenEndpointAuthMethod: auth.AuthNone, Scope: "launch openid patient/*.rs"}, false)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := s.Storage.UserByUsername(ctx, clinUser)
	pu, _ := s.Storage.PatientUserByUsername(ctx, patientUser)
	at := time.Now().Add(-time.Hour)
	for i, g := range []auth.Grant{
		{ID: "g1", ClientID: s.DemoApp, Scope: "openid patient/Patient.rs patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"},
		{ID: "g2", ClientID: s.DemoApp, Scope: "openid patient/Patient.rs offline_access"},
	} {
		g.GrantType, g.Subject, g.Role, g.Patient, g.CreatedAt = auth.GrantAuthorizationCode, pu.ID, "patient", s.Patient, at.Add(time.Duration(i)*time.Minute)
		if err := s.Storage.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 8 {
		s.Store.RecordAccess(ctx, store.AuditEvent{At: at.Add(time.Duration(i) * time.Minute),
			RequestInfo: store.RequestInfo{Actor: doc.ID, Role: "clinician", ClientID: reg.ClientID, Method: "GET", Path: "/fhir/r4/Observation"},
			Patient:     s.Patient, Action: "search", Type: "Observation", Status: 200, Detail: "category=vital-signs\nresponse: {\"resourceType\":\"Bundle\",\"type\":\"searchset\"}"})
	}
	s.Store.RecordAccess(ctx, store.AuditEvent{At: at.Add(20 * time.Minute), RequestInfo: store.RequestInfo{ClientID: reg.ClientID,
		Method: "GET", Path: "/fhir/r4/Patient"}, Action: "authenticate", Status: 401, Detail: "token expired"})
	s.Store.FlushAudit()

	family, _ := s.Read(t, "Patient", s.Patient)["name"].([]any)[0].(map[string]any)["family"].(string)
	prefix := family[:3]
	authorize := func(scope string) string {
		return s.URL + "/connect/authorize?" + url.Values{"response_type": {"code"}, "client_id": {s.DemoApp},
			"redirect_uri": {s.URL + "/demo-app/"}, "scope": {scope}, "state": {"st"}, "aud": {s.URL + "/fhir/r4"},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}.Encode()
	}
	shots := []struct {
		name string
		go_  chromedp.Action[chromedp.Void]
	}{
		{"home", chromedp.Steps(chromedp.Navigate(s.URL+"/"), visible(`#for-patients`))},
		{"not-found", chromedp.Steps(chromedp.Navigate(s.URL+"/no-such-page"), visible(`#not-found`))},
		{"register", chromedp.Steps(chromedp.Navigate(s.URL+"/register"), visible(`#client_name`))},
		{"register-error", chromedp.Steps(set(`#client_name`, "Nightly export"), click(`input[name=type][value=confidential]`),
			click(`input[name=scope][value="system/*.rs"]`), click(`form[action="/register"] button[type=submit]`), visible(`#jwks-err`))},
		{"registered", chromedp.Steps(chromedp.Navigate(s.URL+"/register"), visible(`#client_name`), set(`#client_name`, "Diary"),
			set(`#redirect_uris`, "https://diary.example/cb"), click(`form[action="/register"] button[type=submit]`), visible(`#client-id`))},
		{"admin-login", chromedp.Steps(chromedp.Navigate(s.URL+"/admin/login"), visible(`input[name=username]`))},
		{"admin-setup", chromedp.Steps(signIn(adminUser, adminPass), click(`button[type=submit]`), visible(`#site_name`))},
		{"admin-clients", chromedp.Steps(chromedp.Navigate(s.URL+"/admin/clients"), visible(`main`))},
		{"admin-apilog", chromedp.Steps(chromedp.Navigate(s.URL+"/admin/apilog"), visible(`table.log`))},
		{"admin-apilog-security", chromedp.Steps(chromedp.Navigate(s.URL+"/admin/apilog?kind=security"), visible(`table.log`))},
		{"admin-apilog-entry", chromedp.Steps(chromedp.Navigate(s.URL+"/admin/apilog?path=/fhir/r4/Observation"), visible(`a[href^="/admin/apilog/"]`),
			click(`a[href^="/admin/apilog/"]`), visible(`#entry`))},
		{"admin-users", chromedp.Steps(chromedp.Navigate(s.URL+"/admin/users"), visible(`#find-patient`))},
		{"admin-patient-lookup", chromedp.Steps(chromedp.Navigate(s.URL+"/admin/patients?for=users&name="+prefix), visible(`#patient-results`))},
		{"portal-login", chromedp.Steps(chromedp.Navigate(s.URL+"/patientlogin.aspx"), visible(`input[name=username]`))},
		{"portal-record", chromedp.Steps(signIn(patientUser, patientPass), click(`button[type=submit]`), visible(`#smart-apps`))},
		{"portal-apps", chromedp.Steps(chromedp.Navigate(s.URL+"/portal/apps"), visible(`#app-cards`))},
		{"consent", chromedp.Steps(chromedp.Navigate(s.URL+"/portal/home"), visible(`#smart-apps`),
			click(`button[aria-label="Launch emp demo app"]`), visible(`form#consent`))},
		{"demo-app", chromedp.Steps(click(`button[value=allow]`), visible(`#record`))},
		{"signin", chromedp.Steps(chromedp.Navigate(s.URL+"/portal/home"), visible(`#smart-apps`), click(`form.who button`), visible(`input[name=username]`),
			chromedp.Navigate(authorize("openid fhirUser launch/patient patient/Patient.rs")), visible(`input[name=username]`))},
		{"picker", chromedp.Steps(signIn(clinUser, clinPass), click(`input[name=user_role][value=users]`),
			click(`button[name=action][value=login]`), visible(`input[name=q]`), set(`input[name=q]`, prefix),
			click(`form[method=get] button[type=submit]`), visible(`input[name=patient_id]`))},
	}
	for _, w := range widths {
		c.step("width "+w.name, width(w.px))
		for _, sh := range shots {
			c.step(sh.name+" at "+w.name, sh.go_)
			sctx, cancel := context.WithTimeout(c.ctx, 20*time.Second)
			img, err := chromedp.Run(sctx, topOfPage(w.px, 45))
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", sh.name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, sh.name+"-"+w.name+".jpg"), img, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// Start the next width signed out, as the first pages expect.
		c.step("sign out", chromedp.Navigate(s.URL+"/admin/setup"), signInIfAsked(adminUser, adminPass), visible(`form.who button`),
			click(`form.who button`), visible(`main`))
	}
	if os.Getenv(EnvArtifacts) != "" {
		c.writeShots() // the PNGs of every step, for a closer look
	}
}
