package server

import (
	"encoding/json"
	"net/http"
)

// home answers the root with where things are, for a person or a script
// that found the server.
func (a *App) home(w http.ResponseWriter, r *http.Request) {
	body, _ := json.MarshalIndent(map[string]any{
		"name":     "eMedicalPractice API server",
		"fhir":     a.FHIRBase,
		"metadata": a.FHIRBase + "/metadata",
		"jwks":     a.BaseURL + "/.well-known/jwks.json",
		"health":   a.BaseURL + "/healthz",
	}, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
