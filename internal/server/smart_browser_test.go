package server_test

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/emedpractice/emp/internal/browsertest"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestBrowserStandaloneLaunchUntickedScope is a SMART standalone launch in
// headless Chromium against the whole server: the patient signs in,
// unticks AllergyIntolerance on the consent page, and is sent back to the
// app with a code. The app is a page on another origin whose script
// exchanges the code at the token endpoint and reads FHIR with the token,
// both cross-origin (so CORS is exercised as a real browser applies it):
// the Patient read succeeds, the AllergyIntolerance search is refused.
func TestBrowserStandaloneLaunchUntickedScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := browsertest.Start(t)
		ts := newAuthTestServer(t, dialect)
		ts.seedPatient("pat-a")
		ts.addPatientUser("amy", "pat-a")
		admin := ts.token("user/*.cruds", "")
		if r := ts.do("PUT", "/fhir/r4/AllergyIntolerance/al-1", admin, `{"resourceType":"AllergyIntolerance","id":"al-1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},"patient":{"reference":"Patient/pat-a"},"code":{"text":"peanut"}}`); r.status != 201 {
			t.Fatalf("seed allergy: %d %s", r.status, r.body)
		}

		verifier, challenge := pkcePair()
		app := newBrowserApp(t)
		app.cfg = browserAppConfig{TokenURL: ts.app.BaseURL + "/connect/token", FHIRBase: ts.app.FHIRBase,
			RedirectURI: app.srv.URL + "/callback", Verifier: verifier}
		app.cfg.ClientID = ts.register(auth.ClientMetadata{ClientName: "Browser app", RedirectURIs: []string{app.cfg.RedirectURI},
			TokenEndpointAuthMethod: auth.AuthNone, Scope: g10Scopes}).ClientID
		authorize := ts.app.BaseURL + "/connect/authorize?" + url.Values{
			"response_type": {"code"}, "client_id": {app.cfg.ClientID}, "redirect_uri": {app.cfg.RedirectURI}, "scope": {g10Scopes},
			"state": {"st-1"}, "aud": {ts.app.FHIRBase}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		}.Encode()

		run(t, ctx, "the login page",
			chromedp.Navigate(authorize),
			chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
			chromedp.SetValue(chromedp.CSS(`input[name=username]`), "amy"),
			chromedp.SetValue(chromedp.CSS(`input[name=password]`), userPass),
			chromedp.Click(chromedp.CSS(`input[name=user_role][value=patient]`)),
			chromedp.Click(chromedp.CSS(`button[name=action][value=login]`)))
		const allergy = `input[name=scope][value="patient/AllergyIntolerance.rs"]`
		run(t, ctx, "consent with AllergyIntolerance unticked",
			chromedp.WaitVisible(chromedp.CSS(allergy)),
			chromedp.Click(chromedp.CSS(allergy)),
			chromedp.Click(chromedp.CSS(`button[name=decision][value=allow]`)),
			chromedp.WaitVisible(chromedp.CSS(`#done`)))

		got := map[string]string{}
		for _, id := range []string{"error", "code", "scope", "patient", "patient-read", "allergy-search", "allergy-read"} {
			s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#"+id)))
			if err != nil {
				t.Fatalf("read #%s: %v", id, err)
			}
			got[id] = strings.TrimSpace(s)
		}
		if got["error"] != "" || got["code"] == "" {
			t.Fatalf("the app: %v", got)
		}
		if got["patient"] != "pat-a" || !strings.Contains(got["scope"], "patient/Patient.rs") || strings.Contains(got["scope"], "AllergyIntolerance") {
			t.Errorf("token: patient %q scope %q", got["patient"], got["scope"])
		}
		if got["patient-read"] != "200" {
			t.Errorf("Patient read from the app: %s", got["patient-read"])
		}
		if got["allergy-search"] != "403" && got["allergy-search"] != "401" {
			t.Errorf("AllergyIntolerance search with the unticked scope: %s", got["allergy-search"])
		}
		if got["allergy-read"] != "403" && got["allergy-read"] != "401" {
			t.Errorf("AllergyIntolerance read with the unticked scope: %s", got["allergy-read"])
		}
	})
}

// browserApp is the SMART app's page: another origin, whose callback
// script finishes the launch.
type browserApp struct {
	srv *httptest.Server
	cfg browserAppConfig
}

type browserAppConfig struct {
	ClientID, TokenURL, FHIRBase, RedirectURI, Verifier string
}

var browserAppPage = template.Must(template.New("app").Parse(`<!doctype html>
<html><head><title>Browser app</title></head><body>
<p>code <span id="code"></span></p><p>error <span id="error"></span></p>
<p>scope <span id="scope"></span></p><p>patient <span id="patient"></span></p>
<p>Patient read <span id="patient-read"></span></p>
<p>AllergyIntolerance search <span id="allergy-search"></span></p>
<p>AllergyIntolerance read <span id="allergy-read"></span></p>
<script>
const cfg = JSON.parse({{.}});
const show = (id, v) => { document.getElementById(id).textContent = v; };
const done = () => { const d = document.createElement("p"); d.id = "done"; d.textContent = "done"; document.body.appendChild(d); };
(async () => {
  const q = new URLSearchParams(location.search);
  show("code", q.get("code") || "");
  if (!q.get("code")) { show("error", q.get("error") || "no code"); return; }
  const res = await fetch(cfg.TokenURL, {method: "POST", body: new URLSearchParams({
    grant_type: "authorization_code", code: q.get("code"), redirect_uri: cfg.RedirectURI,
    client_id: cfg.ClientID, code_verifier: cfg.Verifier})});
  const tok = await res.json();
  if (!res.ok) { show("error", res.status + " " + JSON.stringify(tok)); return; }
  show("scope", tok.scope); show("patient", tok.patient);
  const get = (path) => fetch(cfg.FHIRBase + path, {headers: {Authorization: "Bearer " + tok.access_token, Accept: "application/fhir+json"}});
  show("patient-read", (await get("/Patient/" + tok.patient)).status);
  show("allergy-search", (await get("/AllergyIntolerance?patient=" + tok.patient)).status);
  show("allergy-read", (await get("/AllergyIntolerance/al-1")).status);
})().catch(e => show("error", String(e))).finally(done);
</script></body></html>`))

func newBrowserApp(t *testing.T) *browserApp {
	app := &browserApp{}
	app.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		cfg, _ := json.Marshal(app.cfg)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		browserAppPage.Execute(w, string(cfg))
	}))
	t.Cleanup(app.srv.Close)
	return app
}

// run runs one named step of the scenario, bounded so a stuck page fails
// the test soon, naming the step and the page it stopped on.
func run(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v (at %s: %.500s)", name, err, loc, body)
	}
}
