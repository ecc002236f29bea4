package auth

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/loginthrottle"
)

// TestClientAuthOneAnswer: an unknown client id and a wrong secret get the
// same invalid_client answer, at every endpoint where clients authenticate.
func TestClientAuthOneAnswer(t *testing.T) {
	e := newEnv(t)
	id, secret := e.confidentialClient(patientScopes)
	bogusCode := url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {appRedirect}}
	endpoints := []struct {
		path string
		form url.Values
	}{
		{"/connect/token", bogusCode},
		{"/connect/introspect", url.Values{"token": {"x"}}},
		{"/connect/revoke", url.Values{"token": {"x"}}},
	}
	for _, ep := range endpoints {
		var bodies []string
		for _, c := range []struct{ name, id, secret string }{
			{"unknown client", "no-such-client", secret},
			{"wrong secret", id, "wrong-secret"},
			{"secret in the form, unknown client", "", ""},
		} {
			var r result
			if c.id == "" {
				f := url.Values{"client_id": {"no-such-client"}, "client_secret": {"s"}}
				for k, v := range ep.form {
					f[k] = v
				}
				r = e.post(ep.path, f)
			} else {
				r = e.post(ep.path, ep.form, basic(c.id, c.secret))
			}
			wantOAuthError(t, r, http.StatusUnauthorized, errInvalidClient)
			if d := r.str("error_description"); d != clientAuthFailed {
				t.Errorf("%s %s: error_description %q", ep.path, c.name, d)
			}
			bodies = append(bodies, string(r.body))
		}
		for _, b := range bodies[1:] {
			if b != bodies[0] {
				t.Errorf("%s: answers differ: %q and %q", ep.path, bodies[0], b)
			}
		}
	}
	// The right secret gets past client authentication.
	wantOAuthError(t, e.post("/connect/token", bogusCode, basic(id, secret)), http.StatusBadRequest, errInvalidGrant)
}

// TestClientAuthThrottled: failures per client id, and per address over
// many ids, make further attempts wait (429, Retry-After, invalid_client),
// doubling, even with the right secret; after the wait the right secret
// works again and resets the client's count.
func TestClientAuthThrottled(t *testing.T) {
	e := newEnv(t)
	id, secret := e.confidentialClient(patientScopes)
	bogusCode := url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {appRedirect}}
	free := loginthrottle.PolicyOf(loginthrottle.ClassClient).Free
	for i := range free + 2 {
		if i > free {
			e.clock.Advance(time.Second)
		}
		wantOAuthError(t, e.post("/connect/token", bogusCode, basic(id, "wrong")), http.StatusUnauthorized, errInvalidClient)
	}
	// Two past the free failures: 2 s to wait, for the right secret too.
	r := e.post("/connect/token", bogusCode, basic(id, secret))
	wantOAuthError(t, r, http.StatusTooManyRequests, errInvalidClient)
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}
	e.clock.Advance(2 * time.Second)
	wantOAuthError(t, e.post("/connect/token", bogusCode, basic(id, secret)), http.StatusBadRequest, errInvalidGrant)
	// The success reset the client's count: one failure is free again.
	wantOAuthError(t, e.post("/connect/token", bogusCode, basic(id, "wrong")), http.StatusUnauthorized, errInvalidClient)
	wantOAuthError(t, e.post("/connect/token", bogusCode, basic(id, secret)), http.StatusBadRequest, errInvalidGrant)

	// Guessing over many client ids from one address meets the address's
	// limit: even a fresh id from there waits. (The failures above count
	// against this address too.)
	addrFree := loginthrottle.PolicyOf(loginthrottle.ClassAddress).Free
	for i := 0; ; i++ {
		r := e.post("/connect/token", bogusCode, basic("guess-"+string(rune('a'+i%26))+string(rune('a'+i/26)), "x"))
		if r.status == http.StatusTooManyRequests {
			break
		}
		if i > addrFree {
			t.Fatalf("no delay for the address after %d more failures", i+1)
		}
	}
	wantOAuthError(t, e.post("/connect/token", bogusCode, basic("fresh-id", "x")), http.StatusTooManyRequests, errInvalidClient)
}
