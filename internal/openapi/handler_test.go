package openapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandlerServesTheUIAndTheDocument(t *testing.T) {
	h, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tests := []struct {
		method, path string
		status       int
		ctype        string
		contains     string
		location     string
	}{
		{"GET", "/swagger/", 302, "", "", IndexPath},
		{"GET", IndexPath, 200, "text/html; charset=utf-8", `data-client-id="swagger-ui"`, ""},
		{"GET", DocumentPath, 200, "application/json", `"openapi": "3.1.0"`, ""},
		{"GET", "/swagger/swagger-ui-bundle.js", 200, "text/javascript; charset=utf-8", "SwaggerUIBundle", ""},
		{"GET", "/swagger/swagger-ui-standalone-preset.js", 200, "text/javascript; charset=utf-8", "SwaggerUIStandalonePreset", ""},
		{"GET", "/swagger/swagger-initializer.js", 200, "text/javascript; charset=utf-8", "usePkceWithAuthorizationCodeGrant: true", ""},
		{"GET", "/swagger/swagger-ui.css", 200, "text/css; charset=utf-8", ".swagger-ui", ""},
		{"GET", RedirectPath, 200, "text/html; charset=utf-8", `<script src="oauth2-redirect.js">`, ""},
		{"GET", "/swagger/oauth2-redirect.js", 200, "text/javascript; charset=utf-8", "swaggerUIRedirectOauth2", ""},
		{"GET", "/swagger/favicon-32x32.png", 200, "image/png", "PNG", ""},
		{"GET", "/swagger/LICENSE", 200, "text/plain; charset=utf-8", "Apache License", ""},
		{"GET", "/swagger/NOTICE", 200, "text/plain; charset=utf-8", "SmartBear", ""},
		{"GET", "/swagger/index.html.tmpl", 404, "", "", ""},
		{"GET", "/swagger/nothing.js", 404, "", "", ""},
		{"GET", "/swagger/..%2fdoc.go", 404, "", "", ""},
		{"POST", DocumentPath, 405, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.ctype != "" && resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tt.ctype)
			}
			if !strings.Contains(string(b), tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
			if tt.location != "" && resp.Header.Get("Location") != tt.location {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tt.location)
			}
			if tt.status == 200 && tt.path != DocumentPath {
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") {
					t.Errorf("Content-Security-Policy %q does not confine scripts to the site", csp)
				}
			}
		})
	}
}

func TestDocumentETag(t *testing.T) {
	h, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.DocumentHandler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tag := resp.Header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("If-None-Match", tag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", resp.StatusCode)
	}
}

// TestIndexHasNoInlineScriptAndEscapesSettings: the page's settings are
// attributes (escaped), never script, so a strange client id cannot inject
// markup and the policy can forbid inline scripts.
func TestIndexHasNoInlineScriptAndEscapesSettings(t *testing.T) {
	cfg := testConfig()
	cfg.ClientID = `"><script>alert(1)</script>`
	page, err := renderIndex(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(page), "<script>") {
		t.Errorf("the client id reached the page unescaped:\n%s", page)
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(string(page), -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("inline script %s", tag)
		}
	}
	if !strings.Contains(string(page), `data-redirect-url="`+testBase+RedirectPath+`"`) {
		t.Errorf("the page does not name the redirect URL:\n%s", page)
	}
}

func TestCSPAllowsTheOriginsTheUICalls(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		connectTo string
	}{
		{"same site", Config{BaseURL: "https://ehr.example.org", TokenURL: "https://ehr.example.org/connect/token"},
			"connect-src 'self' https://ehr.example.org;"},
		{"token endpoint elsewhere", Config{BaseURL: "https://ehr.example.org", TokenURL: "https://login.example.org:8443/connect/token"},
			"connect-src 'self' https://ehr.example.org https://login.example.org:8443;"},
		{"no site address", Config{}, "connect-src 'self';"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csp := uiCSP(tt.cfg)
			if !strings.Contains(csp, tt.connectTo) {
				t.Errorf("%q lacks %q", csp, tt.connectTo)
			}
			if strings.Contains(csp, "script-src 'self' 'unsafe") {
				t.Errorf("%q allows inline or evaluated script", csp)
			}
		})
	}
}

func TestDocumentStatesTheSite(t *testing.T) {
	d := Build(testConfig())
	if d.Info.Version != "1.2.3" || len(d.Servers) != 1 || d.Servers[0].URL != testBase {
		t.Errorf("info %+v servers %+v", d.Info, d.Servers)
	}
	if got := Build(Config{}).Servers[0].URL; got != "/" {
		t.Errorf("without a site address the server is %q, want /", got)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(Build(testConfig()))
	if string(b) != string(b2) {
		t.Error("two builds of the same configuration differ")
	}
}

func BenchmarkBuild(b *testing.B) {
	cfg := testConfig()
	for b.Loop() {
		Build(cfg)
	}
}

func BenchmarkServeDocument(b *testing.B) {
	h, err := New(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", DocumentPath, nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
