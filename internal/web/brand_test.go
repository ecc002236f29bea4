package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestStyledNotFound: a browser asking for a missing page gets the site's
// 404 page; a script, a POST and an API's own 404 (FHIR) are untouched.
func TestStyledNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		do := func(method, path, accept string) (int, string, string) {
			var headers []string
			if accept != "" {
				headers = []string{"Accept", accept}
			}
			r := s.Do(method, path, "", "", headers...)
			return r.Status, r.Header.Get("Content-Type"), string(r.Body)
		}
		for _, tc := range []struct {
			name, method, path, accept string
			styled                     bool
		}{
			{"a browser", "GET", "/no-such-page", "text/html,application/xhtml+xml", true},
			{"a script", "GET", "/no-such-page", "", false},
			{"a POST", "POST", "/no-such-page", "text/html", false},
			{"the FHIR face's own 404", "GET", "/fhir/r4/Patient/none", "text/html", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, ctype, body := do(tc.method, tc.path, tc.accept)
				if status != http.StatusNotFound && !(tc.method == "POST" && status == http.StatusMethodNotAllowed) && !strings.HasPrefix(tc.path, "/fhir") {
					t.Fatalf("status %d", status)
				}
				styled := strings.Contains(body, `id="not-found"`)
				if styled != tc.styled {
					t.Errorf("styled %v (%s): %.200s", styled, ctype, body)
				}
				if styled && (!strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "/static/web.css")) {
					t.Errorf("the 404 page is %s without the site's style", ctype)
				}
			})
		}
	})
}

// TestSetupBrand: the setup page saves the practice's name and logo, shows
// them on the pages, and refuses a logo that is not https or a site path,
// beside the field, saving nothing.
func TestSetupBrand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		form := func(name, logo string) url.Values {
			return url.Values{"csrf": {b.CSRF("/admin/setup")}, "app_approval": {"auto"}, "site_address": {s.URL},
				"site_name": {name}, "site_logo": {logo}}
		}
		status, body, _ := b.Post("/admin/setup", form("Riverside Family Practice", "javascript:alert(1)"))
		if status != http.StatusBadRequest || !strings.Contains(body, `id="logo-err"`) || !strings.Contains(body, `value="javascript:alert(1)"`) {
			t.Errorf("a bad logo: status %d, error beside the field %v", status, strings.Contains(body, `id="logo-err"`))
		}
		if v, err := s.Storage.Setting(context.Background(), auth.SettingSiteName); err == nil {
			t.Errorf("a refused form saved the name %q", v)
		}
		if status, _, _ := b.Post("/admin/setup", form("Riverside Family Practice", "/static/logo.png")); status != http.StatusSeeOther {
			t.Fatalf("a good form: status %d", status)
		}
		for _, path := range []string{"/admin/setup", "/register", "/patientlogin.aspx"} {
			_, body, _ := b.Get(path)
			if !strings.Contains(body, "<title>") || !strings.Contains(body, "· Riverside Family Practice</title>") ||
				!strings.Contains(body, `<img class="logo" src="/static/logo.png"`) {
				t.Errorf("%s does not carry the name and logo", path)
			}
		}
	})
}
