package openapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/emedpractice/emp/internal/browsertest"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/authz/authztest"
	"github.com/emedpractice/emp/internal/openapi"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// browser starts a headless Chromium for the test and collects what the
// page writes to its console (a Content-Security-Policy violation is
// reported there, by the "security" source).
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	bctx := browsertest.Start(t)
	ctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	b := &browser{t: t, ctx: ctx}
	listen, stopListening := context.WithCancel(ctx)
	done := make(chan struct{})
	messages := chromedp.Console(listen)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		stopListening()
		<-done
		cancelTimeout()
	})
	return b
}

// step runs actions as one named step; a failing step ends the test.
func (b *browser) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s: %v (at %s)", name, err, loc)
	}
}

// eval runs an expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// complaints are the console's errors (a resource that failed to load, a
// policy violation) and uncaught exceptions.
func (b *browser) complaints() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.messages {
		if m.Source == "security" || m.IsException() || m.Type == "error" || strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, m.String())
		}
	}
	return out
}

// TestSwaggerUIInABrowser opens Swagger UI as a person would: the page's
// scripts and styles load under its Content-Security-Policy, both sections
// list their operations, the Authorize dialog offers the authorization code
// flow with our client id, and "Try it out" on a public route reaches the
// real /api/ handler.
func TestSwaggerUIInABrowser(t *testing.T) {
	b := newBrowser(t)
	s := storetest.Open(t, "sqlite", store.Options{})
	ti := authztest.NewIssuer(t, "https://ehr.example.org", "https://ehr.example.org/fhir/r4")

	// The site's address is the test server's, known once it listens.
	var site http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { site.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h, err := openapi.New(openapi.Config{BaseURL: srv.URL, AuthorizeURL: srv.URL + "/connect/authorize", TokenURL: srv.URL + "/connect/token",
		ClientID: "swagger-ui", Version: "9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	mux.Handle("/api/", api.New(api.Config{Store: s, Gate: ti.Verifier(), BaseURL: srv.URL, Version: "9.9.9"}))
	site = mux

	b.step("open Swagger UI",
		chromedp.Navigate(srv.URL+"/swagger/"),
		chromedp.WaitVisible(chromedp.CSS(`#operations-standard-get_api_patient`)),
		chromedp.WaitVisible(chromedp.CSS(`#operations-standard-patient-get_portal_patient`)),
	)
	paths := eval[[]string](b, `Array.from(document.querySelectorAll('.opblock-summary-path')).map(e => e.textContent.replace(/\u200b/g, ''))`)
	listed := map[string]bool{}
	for _, p := range paths {
		listed[strings.TrimSpace(p)] = true
	}
	for _, want := range []string{"/api/patient", "/api/patient/{puuid}", "/api/patient/{pid}/document/{did}", "/portal/patient", "/portal/patient/encounter/{euuid}"} {
		if !listed[want] {
			t.Errorf("Swagger UI does not list %s (it lists %d operations)", want, len(paths))
		}
	}
	if n := len(api.Routes()); len(paths) < n {
		t.Errorf("Swagger UI lists %d operations, the standard API alone has %d", len(paths), n)
	}
	// The stylesheet applied: a GET badge is coloured, not transparent.
	if bg := eval[string](b, `getComputedStyle(document.querySelector('.opblock-get .opblock-summary-method')).backgroundColor`); bg == "" || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("the GET badge has background %q: swagger-ui.css did not apply", bg)
	}

	b.step("open the Authorize dialog",
		chromedp.Click(chromedp.CSS(`.auth-wrapper .authorize`)),
		chromedp.WaitVisible(chromedp.CSS(`.modal-ux`)),
	)
	dialog := eval[string](b, `document.querySelector('.modal-ux').innerText`)
	for _, want := range []string{"authorizationCode", "with PKCE", srv.URL + "/connect/authorize", "api:oemr", "user/*.rs", "user/*.cud"} {
		if !strings.Contains(dialog, want) {
			t.Errorf("the Authorize dialog does not show %q:\n%s", want, dialog)
		}
	}
	// The staff scheme offers the wildcards, not one scope per record type.
	if strings.Contains(dialog, "user/patient.read") {
		t.Errorf("the Authorize dialog still offers a scope per record type:\n%s", dialog)
	}
	if id := eval[string](b, `(document.querySelector('.modal-ux input#client_id_authorizationCode') || {}).value || ''`); id != "swagger-ui" {
		t.Errorf("client_id field = %q, want swagger-ui", id)
	}
	b.step("close the dialog", chromedp.Click(chromedp.CSS(`.modal-ux .close-modal`)))

	b.step("try GET /api/version",
		chromedp.Click(chromedp.CSS(`#operations-standard-get_api_version .opblock-summary-control`)),
		chromedp.WaitVisible(chromedp.CSS(`#operations-standard-get_api_version .try-out__btn`)),
		chromedp.Click(chromedp.CSS(`#operations-standard-get_api_version .try-out__btn`)),
		chromedp.WaitVisible(chromedp.CSS(`#operations-standard-get_api_version .execute`)),
		chromedp.Click(chromedp.CSS(`#operations-standard-get_api_version .execute`)),
		chromedp.WaitVisible(chromedp.CSS(`#operations-standard-get_api_version .live-responses-table .response-col_status`)),
	)
	status := eval[string](b, `document.querySelector('#operations-standard-get_api_version .live-responses-table .response .response-col_status').textContent`)
	if !strings.HasPrefix(strings.TrimSpace(status), "200") {
		t.Errorf("Try it out on /api/version answered %q", status)
	}
	body := eval[string](b, `document.querySelector('#operations-standard-get_api_version .live-responses-table .response .response-col_description').innerText`)
	if !strings.Contains(body, "9.9.9") {
		t.Errorf("Try it out shows no version: %s", body)
	}
	if c := b.complaints(); len(c) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(c, "\n"))
	}
}
