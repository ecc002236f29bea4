package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

//go:embed templates/*.html
var templateFiles embed.FS

func parseTemplates() (*template.Template, error) {
	t, err := template.New("web").Funcs(template.FuncMap{
		"fieldOf": fieldOf,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
	}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	return t, nil
}

// pageCSP allows the site's own stylesheet and images and nothing else: no
// script at all, no framing, forms only to the site. The portal's launch
// form answers with a redirect to the app, which form-action would block, so
// the portal uses portalCSP.
// Images may also come over https: the practice's logo (site_logo) may be
// on its own web site.
const (
	pageCSP   = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	portalCSP = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'"
)

// Frame is what every page shows around its body: the title, the
// navigation of the area it belongs to, and the CSRF token of its forms.
type Frame struct {
	Title string
	// Area is "admin", "portal" or "" (public pages); it picks the
	// navigation.
	Area    string
	Current string // the navigation entry to mark as current
	User    string // who is signed in, for the header
	CSRF    string
	Pending int // clients awaiting approval (admin navigation badge)
	Notice  string
	Error   string
	// Wide gives a public page with a long form more room.
	Wide bool
	// Brand is the practice's name and logo, in the header and the title.
	Brand Brand
}

// render writes the named template with data, buffered so that a template
// failure is a clean 500. Every page is uncacheable: most show personal or
// administrative data, and the rest carry CSRF tokens.
func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.logger.ErrorContext(r.Context(), "web: template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if name == "portal" {
		h.Set("Content-Security-Policy", portalCSP)
	} else {
		h.Set("Content-Security-Policy", pageCSP)
	}
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// formField is one input of a form as the "field" template draws it.
type formField struct {
	ID, Label, Type, Name, Value, Err, Hint string
}

// fieldOf builds a formField in a template. value may be a string or the
// false of an "and" whose form was not the one submitted (then empty).
func fieldOf(id, label, typ, name string, value any, err, hint string) formField {
	v, _ := value.(string)
	return formField{ID: id, Label: label, Type: typ, Name: name, Value: v, Err: err, Hint: hint}
}

type messageView struct {
	Frame
	Message  string
	Link     string
	LinkText string
}

// redirect answers a form with 303 See Other, so reloading the next page
// does not post again.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
