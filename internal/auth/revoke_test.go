package auth

import (
	"net/url"
	"testing"
)

func TestRevokeRefreshTokenEndsGrant(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	r := e.post("/connect/revoke", url.Values{"token": {tok.str("refresh_token")}, "client_id": {clientID}, "token_type_hint": {"refresh_token"}})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if _, err := e.srv.Verifier().Verify(bg, tok.str("access_token")); err == nil {
		t.Error("access token of a revoked grant still verifies")
	}
	wantOAuthError(t, e.post("/connect/token", refreshForm(tok.str("refresh_token"))), 400, errInvalidGrant)
}

func TestRevokeAccessToken(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	if r := e.post("/connect/revoke", url.Values{"token": {tok.str("access_token")}, "client_id": {clientID}}); r.status != 200 {
		t.Fatal(r.status)
	}
	if _, err := e.srv.Verifier().Verify(bg, tok.str("access_token")); err == nil {
		t.Error("revoked access token still verifies")
	}
	// Only that token: the refresh token still works.
	if r := e.post("/connect/token", refreshForm(tok.str("refresh_token"))); r.status != 200 {
		t.Errorf("refresh after revoking an access token: %d", r.status)
	}
}

func TestRevokeOthersTokensIgnored(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	other := e.publicClient()
	for _, v := range []string{tok.str("access_token"), tok.str("refresh_token"), "unknown-token"} {
		if r := e.post("/connect/revoke", url.Values{"token": {v}, "client_id": {other}}); r.status != 200 {
			t.Errorf("%d", r.status)
		}
	}
	if _, err := e.srv.Verifier().Verify(bg, tok.str("access_token")); err != nil {
		t.Error("another client revoked the token")
	}
	if r := e.post("/connect/token", refreshForm(tok.str("refresh_token"))); r.status != 200 {
		t.Error("another client revoked the refresh token")
	}
}

func TestRevokeNeedsClient(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	wantOAuthError(t, e.post("/connect/revoke", url.Values{"token": {tok.str("refresh_token")}}), 401, errInvalidClient)
}
