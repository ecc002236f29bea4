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
	// master is never executed: each page runs on a clone that knows the
	// brand of the moment (html/template clones only unexecuted sets).
	master *template.Template
	brand  func() Brand
}

// Brand is the practice's name and logo (the site_name and site_logo
// settings), shown at the top of every page so a person knows whose
// sign-in this is.
type Brand struct {
	Name, Logo string
}

// New parses the embedded templates. brand is asked for the practice's
// name and logo at each page; nil shows "emp".
func New(brand func() Brand) (*Renderer, error) {
	t, err := template.New("pages").Funcs(template.FuncMap{"brand": func() Brand { return Brand{} }}).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	if brand == nil {
		brand = func() Brand { return Brand{Name: "emp"} }
	}
	return &Renderer{master: t, brand: brand}, nil
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
const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'"

// Render writes page name with data. The page is rendered into a buffer
// first, so a template failure is a clean 500, not half a page.
func (r *Renderer) Render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	b := r.brand()
	t, err := r.master.Clone()
	if err == nil {
		t.Funcs(template.FuncMap{"brand": func() Brand { return b }})
		err = t.ExecuteTemplate(&buf, name, data)
	}
	if err != nil {
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
	UserRole string // "users" or "patient": the account preselected
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
	// PatientUser is set when a patient signed in: they revoke access on
	// the portal's apps page; staff ask an administrator.
	PatientUser bool
	// Always are granted with the rest and cannot be unticked: sign-in
	// identity and launch context.
	Always []string
	// Scopes are every resource scope; Groups the same, in plain words,
	// split into what the app may see and what it may change.
	Scopes []ScopeRow
	Groups []ScopeGroup
	// Offline, when set, is the offline_access row with its explanation;
	// Online that access ends with the sign-in session.
	Offline      *ScopeRow
	OfflineUntil string
	Online       bool
}

// ScopeGroup is a heading of the consent form with its scopes.
type ScopeGroup struct {
	ID, Title string
	Rows      []ScopeRow
}

// ScopeRow is one scope the user may untick, in words (Label: the kind of
// records, How: see, change…) with the technical scope one click away, and
// the category sub-scopes offered instead of the whole type.
type ScopeRow struct {
	Value      string
	Label      string
	How        string
	Technical  string
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
