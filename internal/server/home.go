package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/web"
)

// homeLink is one entry of the home page.
type homeLink struct {
	Key, Title, URL string
}

func (a *App) homeLinks() []homeLink {
	return []homeLink{
		{"fhir", "FHIR R4 base", a.FHIRBase},
		{"metadata", "CapabilityStatement", a.FHIRBase + "/metadata"},
		{"smart_configuration", "SMART configuration", a.BaseURL + "/.well-known/smart-configuration"},
		{"api", "Standard JSON API", a.BaseURL + "/api/"},
		{"swagger", "API documentation (Swagger UI)", a.BaseURL + "/swagger/index.html"},
		{"admin", "Site administration", a.BaseURL + "/admin/"},
		{"register", "Register an app", a.BaseURL + "/register"},
		{"portal", "Patient portal", a.BaseURL + "/patientlogin.aspx"},
		{"jwks", "Signing keys (JWKS)", a.BaseURL + "/.well-known/jwks.json"},
		{"health", "Health", a.BaseURL + "/healthz"},
	}
}

// home answers the root with where things are: a list of links for a
// person's browser, the same as JSON for a script.
func (a *App) home(w http.ResponseWriter, r *http.Request) {
	links := a.homeLinks()
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		a.Site.Home(w, r, web.HomeLinks{FHIRBase: a.FHIRBase, Discovery: a.FHIRBase + "/.well-known/smart-configuration",
			Metadata: a.FHIRBase + "/metadata", API: a.BaseURL + "/api/", Swagger: a.BaseURL + "/swagger/index.html",
			Register: a.BaseURL + "/register", Admin: a.BaseURL + "/admin/", Portal: a.BaseURL + "/patientlogin.aspx",
			JWKS: a.BaseURL + "/.well-known/jwks.json"})
		return
	}
	m := map[string]any{"name": "eMedicalPractice API server"}
	for _, l := range links {
		m[l.Key] = l.URL
	}
	body, _ := json.MarshalIndent(m, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
