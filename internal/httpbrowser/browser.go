// Package httpbrowser is a person's user agent on the server's pages for
// end-to-end tests, in plain HTTP: a cookie jar, forms posted as the page's
// own form would post them, the CSRF token read from the page. It imports
// nothing of the project, so that the authorization server's own tests and
// the whole-server test environment share it. Only tests import it: it
// needs the testing package.
package httpbrowser

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Browser keeps cookies, posts forms as the page's own form would (same
// origin), and reads the CSRF token from the page. Unless Follow is set it
// stops at every redirect, so that a test sees each answer; with Follow it
// follows redirects within the server and stops at any other host, as an
// app's redirect URI receives the browser.
type Browser struct {
	T      testing.TB
	Base   string // the server's base URL
	Client *http.Client
	Follow bool
	Last   Response // the answer last received
	URL    *url.URL // the page last shown
}

// New is a browser on the server at base with an empty cookie jar that
// stops at every redirect.
func New(t testing.TB, base string) *Browser {
	jar, _ := cookiejar.New(nil)
	b := &Browser{T: t, Base: base}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	b.Client = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !b.Follow || req.URL.Host != u.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// Following is a browser that follows redirects within the server.
func Following(t testing.TB, base string) *Browser {
	b := New(t, base)
	b.Follow = true
	return b
}

// Get fetches a page of the server and returns the status, the body and
// the response.
func (b *Browser) Get(path string) (int, string, *http.Response) {
	b.T.Helper()
	req, err := http.NewRequest(http.MethodGet, b.Base+path, nil)
	if err != nil {
		b.T.Fatal(err)
	}
	return b.answer(req)
}

// Post sends a form to a path of the server as the page's own
// (same-origin) form would.
func (b *Browser) Post(path string, form url.Values) (int, string, *http.Response) {
	b.T.Helper()
	req, err := http.NewRequest(http.MethodPost, b.Base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.T.Fatal(err)
	}
	return b.answer(b.sameOrigin(req))
}

// CSRF loads a page and returns the CSRF token of its first form.
func (b *Browser) CSRF(path string) string {
	b.T.Helper()
	_, body, _ := b.Get(path)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		b.T.Fatalf("no CSRF token on %s", path)
	}
	return html.UnescapeString(m[1])
}

// Login signs in at an administration or portal sign-in page.
func (b *Browser) Login(path, user, pass string) {
	b.T.Helper()
	status, _, _ := b.Post(path, url.Values{"csrf": {b.CSRF(path)}, "username": {user}, "password": {pass}})
	if status != http.StatusSeeOther {
		b.T.Fatalf("sign-in as %s at %s: status %d", user, path, status)
	}
}

// Cookie is the value of the cookie name the browser sends to path.
func (b *Browser) Cookie(path, name string) string {
	u, _ := url.Parse(b.Base + path)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Plant puts a cookie into the browser, as a copy of another browser's
// cookie (stolen, or set by a sibling site) would be.
func (b *Browser) Plant(name, value, path string) {
	u, _ := url.Parse(b.Base + "/")
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: path}})
}

// Open fetches an absolute URL and records the page reached.
func (b *Browser) Open(u string) Response {
	b.T.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.T.Fatal(err)
	}
	return b.Send(req)
}

// Send sends a request as it is, with the browser's cookies, and records
// the page reached.
func (b *Browser) Send(req *http.Request) Response {
	b.T.Helper()
	b.answer(req)
	return b.Last
}

var (
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	tickedScope = regexp.MustCompile(`name="scope" value="([^"]+)" checked`)
)

// Submit posts the last page's form with vals, adding the page's CSRF
// token unless vals holds one (a forged one, say); mods may change the
// request before it is sent, as a cross-site page would.
func (b *Browser) Submit(vals url.Values, mods ...func(*http.Request)) Response {
	b.T.Helper()
	page := string(b.Last.Body)
	c, a := csrfField.FindStringSubmatch(page), formAction.FindStringSubmatch(page)
	if c == nil || a == nil {
		b.T.Fatalf("no form on %s (%d): %s", b.URL, b.Last.Status, page)
	}
	if !vals.Has("csrf") {
		vals.Set("csrf", html.UnescapeString(c[1]))
	}
	action, err := b.URL.Parse(html.UnescapeString(a[1]))
	if err != nil {
		b.T.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(vals.Encode()))
	if err != nil {
		b.T.Fatal(err)
	}
	b.sameOrigin(req)
	for _, m := range mods {
		m(req)
	}
	return b.Send(req)
}

// OfferedScopes are the scopes the authorization server's consent page,
// last shown, ticks.
func (b *Browser) OfferedScopes() []string {
	var scopes []string
	for _, m := range tickedScope.FindAllStringSubmatch(string(b.Last.Body), -1) {
		scopes = append(scopes, html.UnescapeString(m[1]))
	}
	return scopes
}

// Consent allows, on the authorization server's consent page, the scopes
// given, or every scope the page ticks when scopes is nil.
func (b *Browser) Consent(scopes []string) Response {
	b.T.Helper()
	if !strings.Contains(b.URL.Path, "/connect/consent") {
		b.T.Fatalf("not on the consent page but %s (%d): %s", b.URL, b.Last.Status, b.Last.Body)
	}
	if scopes == nil {
		scopes = b.OfferedScopes()
	}
	return b.Submit(url.Values{"decision": {"allow"}, "scope": scopes})
}

// Redirected is the query the app's redirect URI received; it fails the
// test when the browser was not sent there.
func (b *Browser) Redirected(redirectURI string) url.Values {
	b.T.Helper()
	loc, err := url.Parse(b.Last.Header.Get("Location"))
	if b.Last.Status != http.StatusSeeOther && b.Last.Status != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != redirectURI {
		b.T.Fatalf("expected a redirect to the app, got %d to %q at %s: %s", b.Last.Status, b.Last.Header.Get("Location"), b.URL, b.Last.Body)
	}
	return loc.Query()
}

// sameOrigin marks a form post as a browser sends it from the server's
// own page: the pages' cross-origin guard checks Origin and Sec-Fetch-Site.
func (b *Browser) sameOrigin(req *http.Request) *http.Request {
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return req
}

// answer sends the request, reads the answer whole and records it.
func (b *Browser) answer(req *http.Request) (int, string, *http.Response) {
	b.T.Helper()
	res, err := b.Client.Do(req)
	if err != nil {
		b.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	b.Last = Response{Status: res.StatusCode, Header: res.Header, Body: body}
	b.URL = res.Request.URL
	return res.StatusCode, string(body), res
}
