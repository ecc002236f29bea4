package auth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLogoutRevokesGrant(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, secret := e.confidentialClient(patientScopes)
	code, verifier := e.codeFlow(id, patientScopes)
	tok := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}, basic(id, secret))
	b := e.browser()
	q := url.Values{"id_token_hint": {tok.str("id_token")}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"s9"}}
	r := b.Open(e.base + "/authorize/logout?" + q.Encode())
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "https://app.example/bye?state=s9" {
		t.Fatalf("%d %q", r.Status, r.Header.Get("Location"))
	}
	if _, err := e.srv.Verifier().Verify(bg, tok.str("access_token")); err == nil {
		t.Error("access token survives logout")
	}
	wantOAuthError(t, e.post("/connect/token", refreshForm(tok.str("refresh_token")), basic(id, secret)), 400, errInvalidGrant)
}

func TestLogoutNoOpenRedirect(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	q := url.Values{"id_token_hint": {tok.str("id_token")}, "post_logout_redirect_uri": {"https://evil.example/"}}
	r := e.browser().Open(e.base + "/authorize/logout?" + q.Encode())
	if r.Status != 200 || r.Header.Get("Location") != "" || !strings.Contains(string(r.Body), "signed out") {
		t.Fatalf("%d %q", r.Status, r.Header.Get("Location"))
	}
}

func TestLogoutBadHint(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	for name, hint := range map[string]string{
		"none":         "",
		"access token": tok.str("access_token"),
		"tampered":     tok.str("id_token")[:len(tok.str("id_token"))-4] + "AAAA",
		"not a JWT":    "hello",
	} {
		t.Run(name, func(t *testing.T) {
			r := e.browser().Open(e.base + "/authorize/logout?id_token_hint=" + url.QueryEscape(hint))
			if r.Status != http.StatusBadRequest {
				t.Fatalf("%d", r.Status)
			}
		})
	}
	if _, err := e.srv.Verifier().Verify(bg, tok.str("access_token")); err != nil {
		t.Error("a refused logout revoked the grant")
	}
}
