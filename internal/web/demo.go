package web

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"

	"github.com/emedpractice/emp/internal/auth"
)

//go:embed demoapp
var demoFiles embed.FS

// settingDemoClient holds the client id of the demo SMART app, registered
// once per site.
const settingDemoClient = "demo_app_client_id"

// demoCSP lets the demo app run its own script and call its own server; it
// still loads nothing from elsewhere.
const demoCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// DemoScope is what the demo app registers and asks for.
const DemoScope = "openid fhirUser launch launch/patient patient/Patient.rs patient/Observation.rs"

// EnsureDemoClient registers the demo SMART app (a public client whose
// redirect and launch URI are /demo-app/ on this site) unless it is
// registered already, and returns its client id. The server calls it at
// start when the demo is on, so the portal's widget lists the app at once.
func (s *Site) EnsureDemoClient(ctx context.Context) (string, error) {
	s.demoMu.Lock()
	defer s.demoMu.Unlock()
	if s.demoClient != "" {
		return s.demoClient, nil
	}
	id, err := s.st.Setting(ctx, settingDemoClient)
	stale := false // the setting names a client an administrator deleted
	if err == nil {
		if _, err = s.st.Client(ctx, id); err == nil {
			s.demoClient = id
			return id, nil
		}
		stale = isNotFound(err)
	}
	if err != nil && !isNotFound(err) {
		return "", err
	}
	app := s.base + "/demo-app/"
	reg, err := s.auth.Register(ctx, auth.ClientMetadata{
		ClientName: "emp demo app", RedirectURIs: []string{app}, InitiateLoginURI: app,
		TokenEndpointAuthMethod: auth.AuthNone, GrantTypes: []string{auth.GrantAuthorizationCode},
		Scope: DemoScope,
	}, true)
	if err != nil {
		return "", err
	}
	if stale {
		if err := s.st.SetSetting(ctx, settingDemoClient, reg.ClientID); err != nil {
			return "", err
		}
		s.demoClient = reg.ClientID
		return reg.ClientID, nil
	}
	// Of nodes registering at once, the first stored id is the demo
	// app's; a node that lost removes the client it made.
	id, err = s.st.InitSetting(ctx, settingDemoClient, reg.ClientID)
	if err != nil {
		return "", err
	}
	if id != reg.ClientID {
		if err := s.st.DeleteClient(ctx, reg.ClientID); err != nil && !isNotFound(err) {
			return "", err
		}
	}
	s.demoClient = id
	return id, nil
}

// demoConfig is GET /demo-app/config.json: what the app's script needs to
// start a launch.
func (s *Site) demoConfig(w http.ResponseWriter, r *http.Request) {
	id, err := s.EnsureDemoClient(r.Context())
	if err != nil {
		s.logger.ErrorContext(r.Context(), "web: demo client", "err", err)
		http.Error(w, "the demo app is not available", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]string{
		"client_id": id, "fhir_base": s.fhirBase, "redirect_uri": s.base + "/demo-app/", "scope": DemoScope,
	})
}

func demoAssets() http.Handler {
	sub, err := fs.Sub(demoFiles, "demoapp")
	if err != nil {
		panic(err) // embedded: it exists
	}
	files := http.StripPrefix("/demo-app/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", demoCSP)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		files.ServeHTTP(w, r)
	})
}
