package auth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/scope"
)

// Bounds on what an authorize request may make the server store.
const (
	maxStateLength = 2048
	maxNonceLength = 512
)

// authorize is GET and POST /connect/authorize (RFC 6749 4.1.1; SMART
// authorize-post sends the same parameters as a form). It checks the request
// and starts an interaction bound to this browser, then sends the browser to
// sign in. Until the client and its redirect URI are known good, errors are
// shown here; after, they go back to the client.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, http.StatusBadRequest, "Bad request", "The authorization request could not be read.")
			return
		}
		params = r.PostForm
	}
	ctx := r.Context()
	clientID, redirectURI := params.Get("client_id"), params.Get("redirect_uri")
	c, err := s.store.Client(ctx, clientID)
	switch {
	case clientID == "" || isNotFound(err):
		s.errorPage(w, http.StatusBadRequest, "Unknown application", "The application is not registered with this server.")
		return
	case err != nil:
		s.internalPage(w, r, err)
		return
	case redirectURI == "":
		s.errorPage(w, http.StatusBadRequest, "Bad request", "The application sent no redirect_uri.")
		return
	case !slices.Contains(c.RedirectURIs, redirectURI):
		// Exact match only (RFC 9700 2.1): never send the browser to a URI
		// the client did not register, not even with an error.
		s.errorPage(w, http.StatusBadRequest, "Bad request", "The redirect_uri is not one the application registered.")
		return
	}
	state := params.Get("state")
	fail := func(code, desc string) { redirectError(w, r, redirectURI, state, code, desc) }
	for k, v := range params {
		if len(v) > 1 {
			fail(errInvalidRequest, "parameter "+k+" is repeated")
			return
		}
	}
	switch {
	case len(state) > maxStateLength:
		fail(errInvalidRequest, "state is too long")
		return
	case clientUsable(c) != nil:
		fail(errUnauthorizedClient, "the application is not approved or is disabled")
		return
	case !c.HasGrantType(GrantAuthorizationCode):
		fail(errUnauthorizedClient, "the application is not registered for the authorization code grant")
		return
	case params.Get("response_type") != "code":
		fail(errUnsupportedResponseType, "response_type must be code")
		return
	case params.Has("aud") && !sameBase(params.Get("aud"), s.fhirBase):
		// g10 "Invalid AUD": a token for another server must not be issued.
		fail(errInvalidRequest, "aud must be this server's FHIR base URL, "+s.fhirBase)
		return
	case len(params.Get("nonce")) > maxNonceLength:
		fail(errInvalidRequest, "nonce is too long")
		return
	}
	challenge, method := params.Get("code_challenge"), params.Get("code_challenge_method")
	switch {
	case challenge == "" && c.Public():
		fail(errInvalidRequest, "a public client must use PKCE: send code_challenge with code_challenge_method=S256")
		return
	case challenge == "" && method != "":
		fail(errInvalidRequest, "code_challenge_method without code_challenge")
		return
	case challenge != "" && method != "S256":
		// An absent method means plain (RFC 7636 4.3), which SMART forbids.
		fail(errInvalidRequest, "code_challenge_method must be S256")
		return
	case challenge != "" && (len(challenge) != 43 || !validPKCEValue(challenge)):
		fail(errInvalidRequest, "code_challenge must be the base64url SHA-256 of the code_verifier")
		return
	}

	asked, _ := scope.ParseListLenient(params.Get("scope"))
	registered, _ := scope.ParseListLenient(c.Scope)
	offered := asked.Intersect(registered)
	if offered.Len() == 0 {
		fail(errInvalidScope, "none of the requested scopes is registered for the application")
		return
	}
	now := s.now()
	in := Interaction{
		ClientID: c.ID, RedirectURI: redirectURI, State: state, Nonce: params.Get("nonce"),
		CodeChallenge: challenge, Scope: offered.String(), CreatedAt: now, ExpiresAt: now.Add(s.interactionTTL),
	}
	if v := params.Get("launch"); v != "" {
		l, err := s.store.Launch(ctx, HashSecret(v))
		switch {
		case err != nil && !isNotFound(err):
			s.internalPage(w, r, err)
			return
		case err != nil || l.ClientID != c.ID || !now.Before(l.ExpiresAt):
			fail(errInvalidRequest, "launch is unknown, expired or for another application")
			return
		}
		in.EHRLaunch, in.Patient, in.Encounter, in.Intent, in.FHIRContext = true, l.Patient, l.Encounter, l.Intent, l.FHIRContext
	}
	if in.ID, err = s.rand.id(); err != nil {
		s.internalPage(w, r, err)
		return
	}
	if in.CSRF, err = s.rand.secret(); err != nil {
		s.internalPage(w, r, err)
		return
	}
	sess, err := s.session(w, r)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	in.SessionHash = HashSecret(sess)
	// A user handed over by the site's own sign-in starts signed in, unless
	// the app asks for a fresh sign-in or the launch is for another
	// patient's record.
	if !slices.Contains(strings.Fields(params.Get("prompt")), "login") {
		if id, sess, ok := s.ssoIdentity(r); ok && (id.Kind != KindPatient || in.Patient == "" || in.Patient == id.Patient) {
			if id.Kind == KindPatient {
				in.Patient = id.Patient
			}
			in.UserID, in.UserKind, in.Role, in.FHIRUser, in.AuthTime = id.ID, id.Kind, id.Role, id.FHIRUser, now
			in.LoginSession = sess
		}
	}
	if err := s.store.SaveInteraction(ctx, in); err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.next(w, r, in)
}

// sameBase compares base URLs, forgiving a trailing slash and the case of
// scheme and host.
func sameBase(a, b string) bool {
	pa, err1 := url.Parse(strings.TrimRight(a, "/"))
	pb, err2 := url.Parse(strings.TrimRight(b, "/"))
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(pa.Scheme, pb.Scheme) && strings.EqualFold(pa.Host, pb.Host) &&
		pa.Path == pb.Path && pa.RawQuery == "" && pa.Fragment == "" && pa.User == nil
}
