package openapi

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// ui holds swagger-ui-dist's files (only those the page loads, with their
// licences; docs/deps.md has the version) and our own page and initializer.
// The initializer is a file rather than an inline script so that the page's
// Content-Security-Policy can forbid inline scripts.
//
//go:embed swaggerui
var ui embed.FS

// uiFiles are the files of swaggerui/ served as they are, by name.
func uiFiles() fs.FS {
	sub, err := fs.Sub(ui, "swaggerui")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// indexTemplate is parsed per New; the page is rendered once.
const indexTemplate = "index.html.tmpl"

// indexData are the page's settings, read by swagger-initializer.js from
// data- attributes of the root element.
type indexData struct {
	DocumentURL string
	RedirectURL string
	ClientID    string
	Scopes      string
}

func renderIndex(cfg Config) ([]byte, error) {
	t, err := template.ParseFS(ui, "swaggerui/"+indexTemplate)
	if err != nil {
		return nil, err
	}
	d := indexData{
		DocumentURL: DocumentPath,
		RedirectURL: redirectURL(cfg.BaseURL),
		ClientID:    cfg.ClientID,
		Scopes:      "openid",
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// uiCSP allows exactly what Swagger UI needs: its own scripts and styles
// from this server (it also sets style attributes, hence 'unsafe-inline'
// for styles only), its embedded SVG icons as data: images, and requests
// to this server and to the site and token endpoint origins (the token
// exchange and "Try it out" are fetches). The authorization popup is a
// navigation, which connect-src does not govern.
func uiCSP(cfg Config) string {
	connect := []string{"'self'"}
	for _, u := range []string{cfg.BaseURL, cfg.TokenURL} {
		if o := origin(u); o != "" && !contains(connect, o) {
			connect = append(connect, o)
		}
	}
	return "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"font-src 'self'; connect-src " + strings.Join(connect, " ") + "; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (h *Handler) setPageHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	h.setPageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(h.index)
}

// serveAsset serves one file of swaggerui/ (never the page template).
func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(uiFiles(), name)
	if err != nil || name == indexTemplate {
		http.NotFound(w, r)
		return
	}
	h.setPageHeaders(w)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" || strings.HasSuffix(name, ".txt") || name == "LICENSE" || name == "NOTICE" {
		ctype = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	// The files change only with the binary.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}

// redirectURL is where the authorization server returns the browser: the
// site's, or (no site address configured) the initializer works it out
// from the page's own address.
func redirectURL(base string) string {
	if base == "" {
		return ""
	}
	return base + RedirectPath
}
