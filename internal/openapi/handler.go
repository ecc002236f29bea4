package openapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// Config is what the document and the UI need to know about the site.
type Config struct {
	// BaseURL is the public site address without a trailing slash
	// (https://ehr.example.org): the document's server, and an origin the
	// UI may call.
	BaseURL string
	// AuthorizeURL and TokenURL are the authorization server's endpoints
	// ((*auth.Server).URLs().Authorize and .Token).
	AuthorizeURL string
	TokenURL     string
	// ClientID is the public OAuth client the server registers for
	// Swagger UI, with redirect URI BaseURL+"/swagger/oauth2-redirect.html"
	// (see RedirectPath) and PKCE; empty leaves the field blank in the UI.
	ClientID string
	// Version is the API version the document states (the server's).
	Version string
}

// Paths the handler serves.
const (
	// UIPrefix is the subtree Mount registers.
	UIPrefix = "/swagger/"
	// DocumentPath is the OpenAPI document.
	DocumentPath = "/swagger/openapi.json"
	// IndexPath is Swagger UI.
	IndexPath = "/swagger/index.html"
	// RedirectPath is where the authorization server sends the browser
	// back; the Swagger client must be registered with it.
	RedirectPath = "/swagger/oauth2-redirect.html"
)

// Handler serves the OpenAPI document and Swagger UI.
type Handler struct {
	cfg     Config
	doc     []byte
	docETag string
	index   []byte
	csp     string
	mux     *http.ServeMux
}

// New builds the document once: the route tables are fixed when the binary
// is built, so every request is served from the same bytes.
func New(cfg Config) (*Handler, error) {
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	doc, err := json.MarshalIndent(Build(cfg), "", "  ")
	if err != nil {
		return nil, err
	}
	index, err := renderIndex(cfg)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(doc)
	h := &Handler{cfg: cfg, doc: doc, docETag: `"` + hex.EncodeToString(sum[:8]) + `"`, index: index,
		csp: uiCSP(cfg), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+DocumentPath, h.serveDocument)
	h.mux.HandleFunc("GET "+IndexPath, h.serveIndex)
	h.mux.HandleFunc("GET /swagger/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, IndexPath, http.StatusFound)
	})
	h.mux.HandleFunc("GET /swagger/{file}", h.serveAsset)
	return h, nil
}

// Mount registers the handler's subtree (/swagger/) on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle(UIPrefix, h)
}

// ServeHTTP implements http.Handler for paths under /swagger/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Document returns the document's JSON (a copy).
func (h *Handler) Document() []byte { return bytes.Clone(h.doc) }

// DocumentHandler serves the document alone, for mounting at another path
// too (GET /api/openapi.json).
func (h *Handler) DocumentHandler() http.Handler { return http.HandlerFunc(h.serveDocument) }

func (h *Handler) serveDocument(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", h.docETag)
	// Other sites' API tools may read the description; it holds no secret.
	hd.Set("Access-Control-Allow-Origin", "*")
	if r.Header.Get("If-None-Match") == h.docETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(h.doc)
}
