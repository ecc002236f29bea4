package auth

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/scope"
)

// passwordGrant is the resource owner password grant (RFC 6749 4.3), off
// unless the password_grant setting enables it: the spec keeps it for
// clients that cannot run a browser, and warns against it. user_role names
// the account (users: staff, the default; patient: a portal user, whose
// email must match when sent). Launch context cannot be chosen here, so a
// staff user gets no patient/ scopes.
func (s *Server) passwordGrant(r *http.Request, form url.Values) (tokenResponse, error) {
	ctx := r.Context()
	if !s.passwordGrantEnabled(ctx) {
		return tokenResponse{}, badRequest(errUnsupportedGrantType, "the password grant is disabled on this server")
	}
	cr, err := readClientCreds(r, form)
	if err != nil {
		return tokenResponse{}, err
	}
	c, err := s.authenticateClient(ctx, r, cr, []string{s.p.url(s.p.token)})
	if err != nil {
		return tokenResponse{}, err
	}
	account := form.Get("user_role")
	switch account {
	case "":
		account = AccountStaff
	case AccountStaff, AccountPatient:
	default:
		return tokenResponse{}, badRequest(errInvalidRequest, "user_role must be users or patient")
	}
	username, password := form.Get("username"), form.Get("password")
	if username == "" || password == "" {
		return tokenResponse{}, badRequest(errInvalidRequest, "username and password are required")
	}
	addr := s.clientIP(r)
	throttleKey := loginthrottle.Account(account, username)
	wait, counted, err := s.throttle.Check(ctx, throttleKey, loginthrottle.Address(addr))
	if err != nil {
		return tokenResponse{}, err
	}
	if wait > 0 {
		e := oauthErr(errInvalidGrant, errs.TooMany, "too many failed sign-ins; try again in %s", loginthrottle.Words(wait))
		e.RetryAfter = wait
		return tokenResponse{}, e
	}
	id, ok, err := s.checkPassword(ctx, account, username, password)
	if err != nil {
		return tokenResponse{}, err
	}
	if ok && account == AccountPatient && form.Get("email") != "" && !strings.EqualFold(form.Get("email"), id.Email) {
		ok = false
	}
	if !ok {
		if _, err := s.throttle.Failed(throttleContext(r), throttleKey, loginthrottle.Address(addr)); err != nil {
			return tokenResponse{}, err
		}
		s.logger.InfoContext(ctx, "auth: password grant sign-in failed", "kind", account, "username", username, "addr", addr)
		return tokenResponse{}, badRequest(errInvalidGrant, "wrong username or password")
	}
	if counted {
		if err := s.throttle.Succeeded(ctx, throttleKey); err != nil {
			return tokenResponse{}, err
		}
	}
	asked, _ := scope.ParseListLenient(form.Get("scope"))
	registered, _ := scope.ParseListLenient(c.Scope)
	scopes := fitScopes(asked.Intersect(registered), launchContext{account: id.Account, patient: id.Patient})
	if scopes.Len() == 0 {
		return tokenResponse{}, badRequest(errInvalidScope, "none of the requested scopes can be granted")
	}
	gid, err := s.rand.id()
	if err != nil {
		return tokenResponse{}, err
	}
	now := s.now()
	g := Grant{
		ID: gid, ClientID: c.ID, GrantType: GrantPassword, Subject: id.ID, Role: id.Role, FHIRUser: id.FHIRUser,
		Scope: scopes.String(), Patient: id.Patient, AuthTime: now, CreatedAt: now,
	}
	if err := s.store.CreateGrant(ctx, g); err != nil {
		return tokenResponse{}, err
	}
	return s.issueNewGrant(ctx, g, "")
}
