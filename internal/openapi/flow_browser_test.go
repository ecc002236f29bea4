package openapi_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSwaggerUIAuthorizesThroughOurLoginAndCallsTheAPI is the whole path a
// person takes, over the whole server as it is wired: open Swagger UI,
// authorize with the server's Swagger UI client (authorization code with
// PKCE) through our sign-in and consent pages in the popup, come back through
// /swagger/oauth2-redirect.html, and run GET /api/patient with the token:
// 200 with the practice's patient in it.
func TestSwaggerUIAuthorizesThroughOurLoginAndCallsTheAPI(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	// Demo mode registers the Swagger UI client and fills its id in.
	app, err := server.Open(ctx, server.Config{
		DB: storetest.DSN(t, "sqlite"), BaseURL: base, ExportDir: t.TempDir(),
		Passwords: auth.PBKDF2{Iterations: 1000}, Demo: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := app.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app.Handler
	srv.Start()
	t.Cleanup(func() { srv.Close(); stop(); app.Close() })
	if app.SwaggerClient == "" || app.SwaggerSecret == "" {
		t.Fatal("the server registered no Swagger UI client")
	}
	if err := app.Store.SetSetting(ctx, server.SettingStandardAPI, "on"); err != nil {
		t.Fatal(err)
	}
	const user, pass = "swagger-clinician", "correct horse battery"
	if _, err := app.Auth.AddUser(ctx, auth.NewUser{Username: user, Password: pass, Role: "clinician", Name: "Dr Swagger"}); err != nil {
		t.Fatal(err)
	}
	pt, _ := fhirjson.Decode([]byte(`{"resourceType":"Patient","name":[{"family":"Lovelace","given":["Ada"]}],"gender":"female","birthDate":"1815-12-10"}`))
	if _, err := app.Store.Create(ctx, "Patient", pt, search.Compartment{}); err != nil {
		t.Fatal(err)
	}

	b.step("open Swagger UI and its Authorize dialog",
		chromedp.Navigate(base+"/swagger/index.html"),
		chromedp.WaitVisible(chromedp.CSS(`#operations-standard-get_api_patient`)),
		chromedp.Click(chromedp.CSS(`.auth-wrapper .authorize`)),
		chromedp.WaitVisible(chromedp.CSS(`#client_secret_authorizationCode`)),
	)
	if id := eval[string](b, `document.querySelector('#client_id_authorizationCode').value`); id != app.SwaggerClient {
		t.Errorf("the dialog's client id is %q, want the server's Swagger UI client %q", id, app.SwaggerClient)
	}
	b.step("enter the secret and choose the scopes",
		chromedp.SendKeys(chromedp.CSS(`#client_secret_authorizationCode`), app.SwaggerSecret),
		chromedp.Click(chromedp.CSS(`label[for="api:oemr-authorizationCode-checkbox-smart"]`)),
		chromedp.Click(chromedp.CSS(`label[for="user/*.rs-authorizationCode-checkbox-smart"]`)),
	)
	popup := chromedp.WaitNewTarget(b.ctx, func(i *target.Info) bool { return i.Type == "page" })
	b.step("authorize", chromedp.Click(chromedp.CSS(`.modal-ux .auth-btn-wrapper .authorize`)))
	var id target.ID
	select {
	case id = <-popup:
	case <-time.After(30 * time.Second):
		ts, _ := chromedp.Targets(b.ctx)
		for _, i := range ts {
			t.Logf("target %s %s", i.Type, i.URL)
		}
		t.Log(eval[string](b, `document.querySelector('.modal-ux').innerText`))
		t.Fatal("no authorization popup opened")
	}
	pctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	defer cancel()
	if err := chromedp.Do(pctx,
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pass),
		chromedp.Click(chromedp.CSS(`input[name=user_role][value=users]`)),
		chromedp.Click(chromedp.CSS(`button[value=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value=allow]`)),
		chromedp.Click(chromedp.CSS(`button[value=allow]`)),
	); err != nil {
		loc, _ := chromedp.Run(pctx, chromedp.Location())
		body, _ := chromedp.Run(pctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("sign in and allow in the popup: %v (at %s): %s", err, loc, body)
	}

	// Back in Swagger UI the dialog offers to log out: it holds a token.
	b.step("authorized", chromedp.WaitVisible(chromedp.CSS(`.modal-ux button[aria-label="Remove authorization"]`)),
		chromedp.Click(chromedp.CSS(`.modal-ux .close-modal`)))
	op := `#operations-standard-get_api_patient`
	b.step("run GET /api/patient",
		chromedp.Click(chromedp.CSS(op+` .opblock-summary-control`)),
		chromedp.WaitVisible(chromedp.CSS(op+` .try-out__btn`)),
		chromedp.Click(chromedp.CSS(op+` .try-out__btn`)),
		chromedp.WaitVisible(chromedp.CSS(op+` .execute`)),
		chromedp.Click(chromedp.CSS(op+` .execute`)),
		chromedp.WaitVisible(chromedp.CSS(op+` .live-responses-table .response .response-col_status`)),
	)
	status := eval[string](b, `document.querySelector('`+op+` .live-responses-table .response .response-col_status').textContent`)
	body := eval[string](b, `document.querySelector('`+op+` .live-responses-table .response .response-col_description').innerText`)
	if !strings.HasPrefix(strings.TrimSpace(status), "200") || !strings.Contains(body, "Lovelace") {
		t.Errorf("GET /api/patient through Swagger UI: %q\n%s", status, body)
	}
	if c := b.complaints(); len(c) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(c, "\n"))
	}
}
