package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

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
// shown here; after, they go back to the client. Each step below is one
// part of that check, in the order the answers depend on.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	params, err := authorizeParams(r)
	if err != nil {
		s.authorizeFailed(w, r, "", "", err)
		return
	}
	c, err := s.authorizeClient(r.Context(), params)
	if err != nil {
		s.authorizeFailed(w, r, "", "", err)
		return
	}
	redirectURI, state := params.Get("redirect_uri"), params.Get("state")
	in, err := s.authorizeInteraction(w, r, params, c)
	if err != nil {
		s.authorizeFailed(w, r, redirectURI, state, err)
		return
	}
	s.next(w, r, in)
}

// authorizeInteraction checks the rest of the request of a known client
// and redirect URI, and stores the interaction it starts.
func (s *Server) authorizeInteraction(w http.ResponseWriter, r *http.Request, params url.Values, c Client) (Interaction, error) {
	if err := s.checkAuthorizeParams(params, c); err != nil {
		return Interaction{}, err
	}
	challenge, err := checkPKCE(params, c)
	if err != nil {
		return Interaction{}, err
	}
	offered, err := offeredScope(params, c)
	if err != nil {
		return Interaction{}, err
	}
	now := s.now()
	in := Interaction{
		ClientID: c.ID, RedirectURI: params.Get("redirect_uri"), State: params.Get("state"), Nonce: params.Get("nonce"),
		CodeChallenge: challenge, Scope: offered, CreatedAt: now, ExpiresAt: now.Add(s.interactionTTL),
	}
	if err := s.applyLaunch(r.Context(), params.Get("launch"), c, now, &in); err != nil {
		return Interaction{}, err
	}
	if err := s.bindToBrowser(w, r, &in); err != nil {
		return Interaction{}, err
	}
	s.applySSO(r, params, now, &in)
	if err := s.store.SaveInteraction(r.Context(), in); err != nil {
		return Interaction{}, err
	}
	return in, nil
}

// authorizePage is a refusal shown on this server's page: the client or
// its redirect URI is not known good, so the browser must not go there.
type authorizePage struct {
	status     int
	title, msg string
}

func (e authorizePage) Error() string { return e.title + ": " + e.msg }

// authorizeRedirect is a refusal sent back to the client's redirect URI as
// an OAuth error.
type authorizeRedirect struct{ code, desc string }

func (e authorizeRedirect) Error() string { return e.code + ": " + e.desc }

// authorizeFailed answers a failed step: on the page, back at the client,
// or, for anything else, as the server's fault.
func (s *Server) authorizeFailed(w http.ResponseWriter, r *http.Request, redirectURI, state string, err error) {
	var page authorizePage
	var back authorizeRedirect
	switch {
	case errors.As(err, &page):
		s.errorPage(w, page.status, page.title, page.msg)
	case errors.As(err, &back):
		redirectError(w, r, redirectURI, state, back.code, back.desc)
	default:
		s.internalPage(w, r, err)
	}
}

// authorizeParams are the request's parameters: the query, or the form of
// a POST.
func authorizeParams(r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		return r.URL.Query(), nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, authorizePage{http.StatusBadRequest, "Bad request", "The authorization request could not be read."}
	}
	return r.PostForm, nil
}

// authorizeClient finds the client and checks the redirect URI against the
// ones it registered.
func (s *Server) authorizeClient(ctx context.Context, params url.Values) (Client, error) {
	clientID, redirectURI := params.Get("client_id"), params.Get("redirect_uri")
	c, err := s.store.Client(ctx, clientID)
	switch {
	case clientID == "" || isNotFound(err):
		return Client{}, authorizePage{http.StatusBadRequest, "Unknown application", "The application is not registered with this server."}
	case err != nil:
		return Client{}, err
	case redirectURI == "":
		return Client{}, authorizePage{http.StatusBadRequest, "Bad request", "The application sent no redirect_uri."}
	case !slices.Contains(c.RedirectURIs, redirectURI):
		// Exact match only (RFC 9700 2.1): never send the browser to a URI
		// the client did not register, not even with an error.
		return Client{}, authorizePage{http.StatusBadRequest, "Bad request", "The redirect_uri is not one the application registered."}
	}
	return c, nil
}

// checkAuthorizeParams checks the parameters and the client's standing:
// no parameter twice, bounded state and nonce, an approved client of the
// code grant, response_type code, and an aud naming this server.
func (s *Server) checkAuthorizeParams(params url.Values, c Client) error {
	for k, v := range params {
		if len(v) > 1 {
			return authorizeRedirect{errInvalidRequest, "parameter " + k + " is repeated"}
		}
	}
	switch {
	case len(params.Get("state")) > maxStateLength:
		return authorizeRedirect{errInvalidRequest, "state is too long"}
	case clientUsable(c) != nil:
		return authorizeRedirect{errUnauthorizedClient, "the application is not approved or is disabled"}
	case !c.HasGrantType(GrantAuthorizationCode):
		return authorizeRedirect{errUnauthorizedClient, "the application is not registered for the authorization code grant"}
	case params.Get("response_type") != "code":
		return authorizeRedirect{errUnsupportedResponseType, "response_type must be code"}
	case params.Has("aud") && !sameBase(params.Get("aud"), s.fhirBase):
		// g10 "Invalid AUD": a token for another server must not be issued.
		return authorizeRedirect{errInvalidRequest, "aud must be this server's FHIR base URL, " + s.fhirBase}
	case len(params.Get("nonce")) > maxNonceLength:
		return authorizeRedirect{errInvalidRequest, "nonce is too long"}
	}
	return nil
}

// checkPKCE checks the code challenge (S256 only; required of a public
// client) and returns it.
func checkPKCE(params url.Values, c Client) (string, error) {
	challenge, method := params.Get("code_challenge"), params.Get("code_challenge_method")
	switch {
	case challenge == "" && c.Public():
		return "", authorizeRedirect{errInvalidRequest, "a public client must use PKCE: send code_challenge with code_challenge_method=S256"}
	case challenge == "" && method != "":
		return "", authorizeRedirect{errInvalidRequest, "code_challenge_method without code_challenge"}
	case challenge != "" && method != "S256":
		// An absent method means plain (RFC 7636 4.3), which SMART forbids.
		return "", authorizeRedirect{errInvalidRequest, "code_challenge_method must be S256"}
	case challenge != "" && (len(challenge) != 43 || !validPKCEValue(challenge)):
		return "", authorizeRedirect{errInvalidRequest, "code_challenge must be the base64url SHA-256 of the code_verifier"}
	}
	return challenge, nil
}

// offeredScope is what may be granted: the requested scopes the client
// registered. None is an error.
func offeredScope(params url.Values, c Client) (string, error) {
	asked, _ := scope.ParseListLenient(params.Get("scope"))
	registered, _ := scope.ParseListLenient(c.Scope)
	offered := asked.Intersect(registered)
	if offered.Len() == 0 {
		return "", authorizeRedirect{errInvalidScope, "none of the requested scopes is registered for the application"}
	}
	return offered.String(), nil
}

// applyLaunch puts the EHR launch context the launch value stands for into
// the interaction; no value, no change.
func (s *Server) applyLaunch(ctx context.Context, launch string, c Client, now time.Time, in *Interaction) error {
	if launch == "" {
		return nil
	}
	l, err := s.store.Launch(ctx, HashSecret(launch))
	switch {
	case err != nil && !isNotFound(err):
		return err
	case err != nil || l.ClientID != c.ID || !now.Before(l.ExpiresAt):
		return authorizeRedirect{errInvalidRequest, "launch is unknown, expired or for another application"}
	}
	in.EHRLaunch, in.Patient, in.Encounter, in.Intent, in.FHIRContext = true, l.Patient, l.Encounter, l.Intent, l.FHIRContext
	return nil
}

// bindToBrowser gives the interaction its id and CSRF token and binds it
// to this browser's session (started if need be).
func (s *Server) bindToBrowser(w http.ResponseWriter, r *http.Request, in *Interaction) error {
	var err error
	if in.ID, err = s.rand.id(); err != nil {
		return err
	}
	if in.CSRF, err = s.rand.secret(); err != nil {
		return err
	}
	sess, err := s.session(w, r)
	if err != nil {
		return err
	}
	in.SessionHash = HashSecret(sess)
	return nil
}

// applySSO starts the interaction signed in when the site's own sign-in
// handed the user over, unless the app asks for a fresh sign-in or the
// launch is for another patient's record.
func (s *Server) applySSO(r *http.Request, params url.Values, now time.Time, in *Interaction) {
	if slices.Contains(strings.Fields(params.Get("prompt")), "login") {
		return
	}
	id, sess, ok := s.ssoIdentity(r)
	if !ok || (id.Account == AccountPatient && in.Patient != "" && in.Patient != id.Patient) {
		return
	}
	if id.Account == AccountPatient {
		in.Patient = id.Patient
	}
	in.UserID, in.Account, in.Role, in.FHIRUser, in.AuthTime = id.ID, id.Account, id.Role, id.FHIRUser, now
	in.LoginSession = sess
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
