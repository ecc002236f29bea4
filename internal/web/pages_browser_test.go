package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// The two widths every layout is tried at: a laptop and a phone.
var widths = []struct {
	name string
	px   int64
}{{"1280px", 1280}, {"390px", 390}}

// width sets the viewport, as a phone or a laptop browser has it.
func width(px int64) chromedp.Action[chromedp.Void] {
	if px < 600 {
		return chromedp.EmulateViewport(px, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile)
	}
	return chromedp.EmulateViewport(px, 900)
}

// eval runs a script on the page and returns its value.
func eval[T any](c *chrome, js string) T {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		c.snap("eval")
		c.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// noSideways fails when the page scrolls sideways: what does not fit the
// width is hidden off-screen.
func (c *chrome) noSideways(where string) {
	c.t.Helper()
	if w := eval[int](c, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		c.t.Errorf("%s: the page is %d px wider than the window", where, w)
	}
}

// onScreen fails when the element is not wholly inside the window's width.
func (c *chrome) onScreen(sel string) {
	c.t.Helper()
	js := fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; })()`, sel)
	if !eval[bool](c, js) {
		c.t.Errorf("%s is not wholly on screen", sel)
	}
}

// nav goes to a page and waits for sel on it.
func (c *chrome) nav(url, sel string) {
	c.t.Helper()
	c.step("open "+url, chromedp.Navigate(url), visible(sel))
}

// TestBrowserAPILogAuditor: an auditor reads the API log at both widths:
// users and clients by name with their ids on hover, a filter by client
// name, "Older entries" that really pages, the sign-ins and refusals
// filter, the detail of one entry, a table that fits its card on a laptop
// and turns into cards on a phone.
func TestBrowserAPILogAuditor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		ctx := context.Background()
		reg, err := s.Auth.Register(ctx, auth.ClientMetadata{ClientName: "Growth Chart", RedirectURIs: []string{"https://growth.example/cb"},
			TokenEndpointAuthMethod: auth.AuthNone, Scope: "launch patient/*.rs"}, true)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := s.Storage.UserByUsername(ctx, clinUser)
		if err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		for i := range 70 {
			s.Store.RecordAccess(ctx, store.AuditEvent{At: base.Add(time.Duration(i) * time.Minute),
				RequestInfo: store.RequestInfo{Actor: doc.ID, Role: "clinician", ClientID: reg.ClientID, Method: "GET",
					Path: "/fhir/r4/Observation/obs-" + strconv.Itoa(i) + "-with-a-rather-long-identifier-that-must-wrap"},
				Patient: s.Patient, Action: "read", Type: "Observation", ResID: "obs-" + strconv.Itoa(i), Status: 200,
				Detail: "request: {\"resourceType\":\"Observation\"}\nresponse: {\"id\":\"obs-" + strconv.Itoa(i) + "\"}"})
		}
		s.Store.RecordAccess(ctx, store.AuditEvent{At: base.Add(2 * time.Hour), RequestInfo: store.RequestInfo{Actor: doc.ID,
			ClientID: reg.ClientID, Method: "GET", Path: "/fhir/r4/AllergyIntolerance"}, Action: "search", Status: 403, Detail: "scope"})
		s.Store.FlushAudit()

		c.step("admin signs in", chromedp.Navigate(s.URL+"/admin/apilog"), signIn(adminUser, adminPass),
			click(`button[type=submit]`), visible(`table.log`))
		for _, w := range widths {
			c.step("width "+w.name, width(w.px), chromedp.Navigate(s.URL+"/admin/apilog?client=growth+chart"), visible(`table.log`))
			if got := c.text(fmt.Sprintf(`span.name[title=%q]`, reg.ClientID)); got != "Growth Chart" {
				t.Errorf("%s: the client is shown as %q, want its name with the id on hover", w.name, got)
			}
			if got := c.text(fmt.Sprintf(`span.name[title=%q]`, doc.ID)); got != "Dr Who" {
				t.Errorf("%s: the user is shown as %q, want their name with the id on hover", w.name, got)
			}
			if n := eval[int](c, `document.querySelectorAll('table.log tbody tr').length`); n != 50 {
				t.Errorf("%s: the client filter by name shows %d rows, want a page of 50", w.name, n)
			}
			c.noSideways("API log at " + w.name)
			if w.px >= 600 {
				if over := eval[int](c, `(() => { const t = document.querySelector('table.log'); return t.scrollWidth - t.parentElement.clientWidth; })()`); over > 0 {
					t.Errorf("%s: the table overflows its card by %d px", w.name, over)
				}
			} else if d := eval[string](c, `getComputedStyle(document.querySelector('table.log tbody tr')).display`); d == "table-row" {
				t.Errorf("%s: the log is still a table on a phone", w.name)
			}
			c.onScreen(`a[href^="/admin/apilog/"]`)

			seqs := func() []int {
				return eval[[]int](c, `[...document.querySelectorAll('a[href^="/admin/apilog/"]')].map(a => +a.getAttribute('href').split('/').pop())`)
			}
			first := seqs()
			older := eval[string](c, `document.querySelector('#older').href`)
			c.nav(older, `#newest`)
			second := seqs()
			if len(second) == 0 || len(first) == 0 || second[0] >= first[len(first)-1] {
				t.Fatalf("%s: Older entries shows %v after %v, want older entries", w.name, head(second), head(first))
			}
			if strings.Contains(c.text(`table.log`), "AllergyIntolerance") {
				t.Errorf("%s: the second page shows the newest entry again", w.name)
			}
		}

		c.step("sign-ins and refusals only", width(1280), chromedp.Navigate(s.URL+"/admin/apilog"), visible(`#f-kind`),
			chromedp.SetValue(chromedp.CSS(`#f-kind`), "security"), click(`form.filters button[type=submit]`), visible(`tr.security`))
		kinds := eval[[]string](c, `[...document.querySelectorAll('table.log tbody tr')].map(r => r.querySelector('[data-label=Action]').textContent.trim() + ' ' + r.querySelector('[data-label=Status]').textContent.trim())`)
		sawRefusal, sawSignIn := false, false
		for _, k := range kinds {
			switch {
			case strings.HasSuffix(k, "403") || strings.HasSuffix(k, "401"):
				sawRefusal = true
			case strings.HasPrefix(k, "sign-in"):
				sawSignIn = true
			default:
				t.Errorf("the sign-ins and refusals filter shows %q", k)
			}
		}
		if !sawRefusal || !sawSignIn {
			t.Errorf("the sign-ins and refusals filter shows %v, want the administrator's sign-in and the 403", kinds)
		}

		c.step("one entry in full", chromedp.Navigate(s.URL+"/admin/apilog?path=%2Ffhir%2Fr4%2FObservation&client="+url.QueryEscape(reg.ClientID)),
			visible(`a[href^="/admin/apilog/"]`))
		entry := eval[string](c, `document.querySelector('a[href^="/admin/apilog/"]').href`)
		c.nav(entry, `#entry`)
		if got := c.text(`#entry-response-body`); !strings.Contains(got, `"id":"obs-69"`) {
			t.Errorf("the entry's response body reads %q", got)
		}
		if got := c.text(`#entry-request`); !strings.HasPrefix(got, "GET /fhir/r4/Observation/obs-69") {
			t.Errorf("the entry's request reads %q", got)
		}
	})
}

func head(s []int) []int { return s[:min(3, len(s))] }

// TestAPILogCSV: the export holds the filtered view with names and ids,
// and a cell a spreadsheet would run as a formula is defused.
func TestAPILogCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		ctx := context.Background()
		doc, _ := s.Storage.UserByUsername(ctx, clinUser)
		for i, p := range []string{"/fhir/r4/Patient", "=HYPERLINK(\"x\")", "/api/patient"} {
			s.Store.RecordAccess(ctx, store.AuditEvent{At: time.Date(2026, 3, 1, 9, i, 0, 0, time.UTC),
				RequestInfo: store.RequestInfo{Actor: doc.ID, Method: "GET", Path: p}, Action: "read", Status: 200})
		}
		s.Store.FlushAudit()
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		status, body, res := b.Get("/admin/apilog.csv?user=Dr+Who")
		if status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("status %d %s", status, res.Header.Get("Content-Type"))
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 {
			t.Fatalf("%d lines, want the header and 3 rows: %v", len(recs), recs)
		}
		if recs[1][2] != "Dr Who" || recs[1][3] != doc.ID {
			t.Errorf("user columns %q %q, want the name and the id", recs[1][2], recs[1][3])
		}
		if got := recs[2][12]; got != "'=HYPERLINK(\"x\")" {
			t.Errorf("a formula path is exported as %q", got)
		}
		if status, _, _ := s.browser(t).Get("/admin/apilog.csv"); status == http.StatusOK {
			t.Error("the export answers without a sign-in")
		}
	})
}

// TestBrowserPortalAppsByApp: a patient who allowed the demo app twice
// sees one card for it, in plain words, with the Revoke button on screen
// at both widths; one Revoke ends both grants.
func TestBrowserPortalAppsByApp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		for _, w := range widths {
			t.Run(w.name, func(t *testing.T) {
				c := newChrome(t)
				s := newSite(t, dialect)
				ctx := context.Background()
				pu, _ := s.Storage.PatientUserByUsername(ctx, patientUser)
				ids := []string{"grant-a", "grant-b"}
				for i, id := range ids {
					if err := s.Storage.CreateGrant(ctx, auth.Grant{ID: id, ClientID: s.DemoApp, GrantType: auth.GrantAuthorizationCode,
						Subject: pu.ID, Role: "patient", Patient: s.Patient, CreatedAt: time.Now().Add(time.Duration(i) * time.Minute),
						Scope: "openid patient/Patient.rs patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"}); err != nil {
						t.Fatal(err)
					}
				}
				c.step("patient signs in", width(w.px), chromedp.Navigate(s.URL+"/portal/apps"), signIn(patientUser, patientPass),
					click(`button[type=submit]`), visible(`#app-cards`))
				if n := eval[int](c, `document.querySelectorAll('.app-card').length`); n != 1 {
					t.Errorf("%d cards for one app allowed twice", n)
				}
				card := eval[string](c, `(() => { const c = document.querySelector('.app-card').cloneNode(true); c.querySelector('details').remove(); return c.innerText; })()`)
				for _, want := range []string{"emp demo app", "Personal details", "only vital signs"} {
					if !strings.Contains(card, want) {
						t.Errorf("the card does not say %q: %s", want, card)
					}
				}
				if strings.Contains(card, "patient/") || strings.Contains(card, "http://") {
					t.Errorf("the card shows raw scopes outside the technical details: %s", card)
				}
				c.onScreen(`button[aria-label="Revoke emp demo app"]`)
				c.noSideways("apps at " + w.name)
				c.step("revoke", click(`button[aria-label="Revoke emp demo app"]`), visible(`.alert.notice`))
				if n := eval[int](c, `document.querySelectorAll('.app-card').length`); n != 0 {
					t.Errorf("after one Revoke %d cards remain", n)
				}
				for _, id := range ids {
					if g, _ := s.Storage.Grant(ctx, id); !g.Revoked() {
						t.Errorf("grant %s is still live after Revoke", id)
					}
				}
			})
		}
	})
}

// TestBrowserConsentPlainWords: the consent page speaks of kinds of records
// and of seeing or changing them, keeps the scope one click away, names
// the portal's apps page for taking access back, warns when nothing is
// ticked, carries the practice's name, and fits a phone.
func TestBrowserConsentPlainWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		for _, w := range widths {
			t.Run(w.name, func(t *testing.T) {
				c := newChrome(t)
				s := newSite(t, dialect)
				if err := s.Storage.SetSetting(context.Background(), auth.SettingSiteName, "Riverside Family Practice"); err != nil {
					t.Fatal(err)
				}
				c.step("patient signs in to the portal", width(w.px), chromedp.Navigate(s.URL+"/patientlogin.aspx"), signIn(patientUser, patientPass),
					click(`button[type=submit]`), visible(`#smart-apps`))
				c.step("launch the demo app", click(`button[aria-label="Launch emp demo app"]`), visible(`form#consent`))
				page := c.text(`main`)
				for _, bad := range []string{"— patient/", "of the patient in context", "signing out of the application", "(fhirUser)"} {
					if strings.Contains(page, bad) {
						t.Errorf("the consent page says %q", bad)
					}
				}
				for _, want := range []string{"Personal details", "Test results", "What it may see"} {
					if !strings.Contains(page, want) {
						t.Errorf("the consent page does not say %q", want)
					}
				}
				if got := c.text(`header.site`); !strings.Contains(got, "Riverside Family Practice") {
					t.Errorf("the consent page's header is %q, want the practice's name", got)
				}
				if href := eval[string](c, `document.querySelector('#revoke-advice a').getAttribute('href')`); href != "/portal/apps" {
					t.Errorf("the revoke advice links to %q", href)
				}
				c.step("technical details one click away", click(`#group-see details.tech summary`), visible(`#group-see details.tech code`))
				if got := c.text(`#group-see details.tech code`); got != "patient/Patient.rs" {
					t.Errorf("the technical scope reads %q", got)
				}
				if eval[bool](c, `getComputedStyle(document.querySelector('#nothing-ticked')).display !== 'none'`) {
					t.Error("the nothing-ticked warning shows while boxes are ticked")
				}
				c.step("untick everything", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name=scope]:checked').forEach(b => b.click())`),
					visible(`#nothing-ticked`))
				c.noSideways("consent at " + w.name)
				c.onScreen(`button[value=allow]`)
			})
		}
	})
}

// TestBrowserDemoAppPartialConsent: a patient shares their details but not
// their results; the demo app shows the patient and says the vital signs
// were not shared, instead of calling its token revoked.
func TestBrowserDemoAppPartialConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		c.step("patient signs in to the portal", chromedp.Navigate(s.URL+"/patientlogin.aspx"), signIn(patientUser, patientPass),
			click(`button[type=submit]`), visible(`#smart-apps`))
		name := c.text(`#patient-name`)
		c.step("launch and untick results", click(`button[aria-label="Launch emp demo app"]`),
			visible(`input[name=scope][value="patient/Observation.rs"]`),
			click(`input[name=scope][value="patient/Observation.rs"]`),
			click(`button[value=allow]`), visible(`#vitals-forbidden`))
		if got := c.text(`#patient-name`); got != name {
			t.Errorf("the demo app shows %q, want %q", got, name)
		}
		if msg := c.text(`#status`); strings.Contains(msg, "revoked") || !strings.Contains(msg, "vital signs") {
			t.Errorf("the demo app says %q", msg)
		}
	})
}

// TestBrowserBrandEverywhere: the practice's name, set on the setup page,
// is on every kind of page: administration, portal, sign-in, registration,
// the authorization server's sign-in, the root page and a 404.
func TestBrowserBrandEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		const name = "Riverside Family Practice"
		c.step("admin sets the name", chromedp.Navigate(s.URL+"/admin/setup"), signIn(adminUser, adminPass),
			click(`button[type=submit]`), visible(`#site_name`),
			set(`#site_name`, name), set(`#site_logo`, "/static/logo-missing.png"),
			click(`form[action="/admin/setup"] button[type=submit]`), visible(`.alert.notice`))
		authorize := s.URL + "/connect/authorize?" + url.Values{"response_type": {"code"}, "client_id": {s.DemoApp},
			"redirect_uri": {s.URL + "/demo-app/"}, "scope": {"openid patient/Patient.rs launch/patient"}, "state": {"st"},
			"aud": {s.URL + "/fhir/r4"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}.Encode()
		for _, p := range []struct{ url, sel string }{
			{"/admin/setup", "header.site"}, {"/admin/apilog", "header.site"}, {"/register", "header.site"},
			{"/patientlogin.aspx", "header.site"}, {"/", "header.site"}, {"/no-such-page", "#not-found"},
			{strings.TrimPrefix(authorize, s.URL), "header.site"},
		} {
			c.nav(s.URL+p.url, p.sel)
			if got := c.text(`header.site`); !strings.Contains(got, name) {
				t.Errorf("%s: the header reads %q", p.url, got)
			}
			if title := eval[string](c, `document.title`); !strings.Contains(title, name) {
				t.Errorf("%s: the title is %q", p.url, title)
			}
		}
		c.nav(s.URL+"/no-such-page", "#not-found")
		if got := c.text(`h1`); got != "Page not found" {
			t.Errorf("the 404 page's heading is %q", got)
		}
		c.nav(s.URL+"/", "#for-patients")
		for _, id := range []string{"#for-patients a", "#for-practice a", "#for-developers a"} {
			if eval[string](c, `document.querySelector('`+id+`').getAttribute('href')`) == "" {
				t.Errorf("the root page's %s has no link", id)
			}
		}
	})
}

// TestBrowserPatientLookup: an administrator adds portal credentials
// without knowing the patient's id: Find a patient, search by name, Use
// this patient; the form comes back with the id filled in and the
// patient's name beside it. A refused staff form keeps the role and the
// fields and shows the error beside the password.
func TestBrowserPatientLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		res, err := s.Store.Read(context.Background(), "Patient", s.Patient, search.Compartment{})
		if err != nil {
			t.Fatal(err)
		}
		var pat struct {
			Name []struct{ Family string } `json:"name"`
		}
		if err := json.Unmarshal(res.Body, &pat); err != nil || len(pat.Name) == 0 || len(pat.Name[0].Family) < 3 {
			t.Fatalf("the seeded patient has no family name: %s", res.Body)
		}
		family := pat.Name[0].Family
		for _, w := range widths {
			c.step("admin opens users at "+w.name, width(w.px), chromedp.Navigate(s.URL+"/admin/users"), signInIfAsked(adminUser, adminPass),
				visible(`#find-patient`), click(`#find-patient`), visible(`#q-name`),
				set(`#q-name`, family[:3]), click(`form[action="/admin/patients"] button[type=submit]`), visible(`#patient-results`))
			c.noSideways("lookup at " + w.name)
			c.step("use the patient", click(`#patient-results a.button`), visible(`#p-patient-name`))
			if got := eval[string](c, `document.querySelector('#p-patient').value`); got != s.Patient {
				t.Fatalf("the patient field holds %q, want %q", got, s.Patient)
			}
			c.noSideways("users at " + w.name)
		}
		c.step("add credentials", set(`#p-username`, "lookup-user"), set(`#p-password`, "lookup-password"),
			click(`#portal-credentials button[type=submit]`), visible(`.alert.notice`))
		if u, err := s.Storage.PatientUserByUsername(context.Background(), "lookup-user"); err != nil || u.Patient != s.Patient {
			t.Errorf("the credentials were not added for the patient: %v %+v", err, u)
		}
		c.step("a refused staff form", set(`#s-username`, "newnurse"), set(`#s-password`, "short"),
			chromedp.SetValue(chromedp.CSS(`#s-role`), "front-office"), set(`#s-name`, "Nora Nurse"),
			click(`#staff-form button[type=submit]`), visible(`#s-password-err`))
		if got := eval[string](c, `document.querySelector('#s-role').value`); got != "front-office" {
			t.Errorf("after the error the role is %q, want front-office", got)
		}
		for sel, want := range map[string]string{"#s-username": "newnurse", "#s-name": "Nora Nurse"} {
			if got := eval[string](c, `document.querySelector('`+sel+`').value`); got != want {
				t.Errorf("after the error %s holds %q, want %q", sel, got, want)
			}
		}
	})
}

// signInIfAsked signs in when the page is a sign-in form, and does nothing
// on the page itself.
func signInIfAsked(user, pass string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		login, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`/login/.test(location.pathname)`))
		if err != nil || !login {
			return err
		}
		return chromedp.Do(ctx, signIn(user, pass), click(`button[type=submit]`), visible(`header.site nav`))
	})
}

// TestBrowserRegistrationHelps: a backend service without keys is told it
// needs keys, beside the keys; a misspelt scope is named beside the scope
// field; a registration that works tells the developer the FHIR base, the
// discovery document and how the app authenticates.
func TestBrowserRegistrationHelps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		for _, w := range widths {
			c.step("a system app without keys at "+w.name, width(w.px), chromedp.Navigate(s.URL+"/register"), visible(`#client_name`),
				set(`#client_name`, "Nightly export"), click(`input[name=type][value=confidential]`),
				chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name=scope]:checked').forEach(b => b.click())`),
				click(`input[name=scope][value="system/*.rs"]`),
				click(`form[action="/register"] button[type=submit]`), visible(`#jwks-err`))
			if got := c.text(`#jwks-err`); !strings.Contains(got, "key") || strings.Contains(got, "redirect_uris is required") {
				t.Errorf("%s: the keys error reads %q", w.name, got)
			}
			c.noSideways("registration error at " + w.name)
		}
		c.step("a misspelt scope", chromedp.Navigate(s.URL+"/register"), visible(`#client_name`),
			set(`#client_name`, "Diary"), set(`#redirect_uris`, "https://diary.example/cb"),
			set(`#other_scopes`, "patient/Observaton.rs"),
			click(`form[action="/register"] button[type=submit]`), visible(`#other_scopes-err`))
		if got := c.text(`#other_scopes-err`); !strings.Contains(got, "patient/Observaton.rs") {
			t.Errorf("the scope error reads %q", got)
		}
		if got := eval[string](c, `document.querySelector('#client_name').value`); got != "Diary" {
			t.Errorf("after the error the name is %q", got)
		}
		c.step("a good registration", chromedp.Evaluate[chromedp.Void](`document.querySelector('#other_scopes').value = ''`), click(`form[action="/register"] button[type=submit]`), visible(`#client-id`))
		if got := c.text(`#fhir-base`); got != s.URL+"/fhir/r4" {
			t.Errorf("FHIR base %q", got)
		}
		if got := c.text(`#discovery`); got != s.URL+"/fhir/r4/.well-known/smart-configuration" {
			t.Errorf("discovery %q", got)
		}
		if got := c.text(`#auth-method`); !strings.Contains(got, "none") {
			t.Errorf("token authentication %q", got)
		}
	})
}

// TestBrowserPortalRecordMedications: a patient whose prescriptions are
// all finished sees them, each with its status, and the header names the
// patient, not the account.
func TestBrowserPortalRecordMedications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		body := `{"resourceType":"MedicationRequest","status":"completed","intent":"order","subject":{"reference":"Patient/` + s.Patient +
			`"},"authoredOn":"2020-02-03","medicationCodeableConcept":{"text":"Amoxicillin 500 mg"}}`
		o, err := fhirjson.Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Store.Import(context.Background(), []store.ImportItem{{Type: "MedicationRequest", ID: "med-done", Resource: o}}); err != nil {
			t.Fatal(err)
		}
		for _, w := range widths {
			c.step("the record at "+w.name, width(w.px), chromedp.Navigate(s.URL+"/portal/home"), signInIfAsked(patientUser, patientPass),
				visible(`#medications`))
			meds := c.text(`#medications`)
			if !strings.Contains(meds, "Amoxicillin 500 mg") || !strings.Contains(meds, "Finished") {
				t.Errorf("%s: the medications read %q", w.name, meds)
			}
			if who, name := c.text(`#who`), c.text(`#patient-name`); who != name {
				t.Errorf("%s: the header names %q, the record %q", w.name, who, name)
			}
			c.noSideways("record at " + w.name)
		}
	})
}
