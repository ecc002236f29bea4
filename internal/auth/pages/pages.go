// Package pages renders the authorization server's HTML pages: sign-in,
// patient picker, consent, and the pages that end a flow (an error, a
// signed-out notice). The templates are embedded, use no script at all, and
// every answer forbids framing and caching.
package pages

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var files embed.FS

// Renderer holds the parsed templates; it is safe for concurrent use.
type Renderer struct {
	t *template.Template
}

// New parses the embedded templates.
func New() (*Renderer, error) {
	t, err := template.New("pages").ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	return &Renderer{t: t}, nil
}

// The pages' names.
const (
	Login   = "login"
	Patient = "patient"
	Consent = "consent"
	Error   = "error"
	Message = "message"
)

// csp allows the page its inline style and nothing else: no script, no
// framing, no plugins, no base rewriting.
const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; frame-ancestors 'none'"

// Render writes page name with data. The page is rendered into a buffer
// first, so a template failure is a clean 500, not half a page.
func (r *Renderer) Render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := r.t.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Frame is what every page shows around its body.
type Frame struct {
	Title  string
	Client string // the app's name, when a flow is under way
}

// LoginView is the sign-in form.
type LoginView struct {
	Frame
	Action   string // the form's URL
	CSRF     string
	Username string
	UserRole string // "users" or "patient": the kind preselected
	Error    string
}

// PatientView is the clinician's patient picker.
type PatientView struct {
	Frame
	Action   string
	CSRF     string
	ReqID    string
	Query    string
	Results  []PatientRow
	Searched bool
	Error    string
}

// PatientRow is one patient found.
type PatientRow struct {
	ID, Name, BirthDate, Gender string
}

// ConsentView is the consent form.
type ConsentView struct {
	Frame
	Action  string
	CSRF    string
	User    string
	Patient string
	// Always are granted with the rest and cannot be unticked: sign-in
	// identity and launch context.
	Always []string
	Scopes []ScopeRow
	// Offline, when set, is the offline_access row with its explanation.
	Offline      *ScopeRow
	OfflineUntil string
}

// ScopeRow is one scope the user may untick, with the category sub-scopes
// offered instead of the whole type.
type ScopeRow struct {
	Value      string
	Label      string
	Checked    bool
	Categories []CategoryRow
}

// CategoryRow is one granular sub-scope.
type CategoryRow struct {
	Value, Label string
}

// ErrorView is a flow that cannot go on and cannot send the browser back to
// the app (unknown client, unregistered redirect URI, expired flow).
type ErrorView struct {
	Frame
	Message string
}

// MessageView is a notice, such as "signed out".
type MessageView struct {
	Frame
	Message string
}
