package server

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
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

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>eMedicalPractice API server</title></head>
<body><main><h1>eMedicalPractice API server</h1>
<ul>{{range .}}<li><a href="{{.URL}}">{{.Title}}</a></li>{{end}}</ul>
</main></body></html>`))

// home answers the root with where things are: a list of links for a
// person's browser, the same as JSON for a script.
func (a *App) home(w http.ResponseWriter, r *http.Request) {
	links := a.homeLinks()
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		homePage.Execute(w, links)
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
