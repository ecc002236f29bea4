package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/scope"
)

// issue mints the tokens of a grant for one token response: an access token
// with the scopes given (the grant's, or fewer on a refresh), the id_token
// when openid is among them, and the refresh token the caller made, with the
// grant's launch context.
func (s *Server) issue(ctx context.Context, g Grant, scopes scope.Set, nonce, refresh string) (tokenResponse, error) {
	now := s.now()
	exp := now.Add(s.accessTTL)
	at, err := s.keys.SignAccessToken(ctx, authz.Claims{
		Issuer: s.issuer, Subject: g.Subject, Audience: s.fhirBase, IssuedAt: now, Expiry: exp,
		ClientID: g.ClientID, Scope: scopes.String(), Patient: g.Patient, Encounter: g.Encounter,
		FHIRUser: g.FHIRUser, Role: g.Role, Grant: g.ID,
	})
	if err != nil {
		return tokenResponse{}, fmt.Errorf("sign access token: %w", err)
	}
	banner := g.NeedPatientBanner
	resp := tokenResponse{
		AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(s.accessTTL / time.Second),
		Scope: scopes.String(), RefreshToken: refresh,
		Patient: g.Patient, Encounter: g.Encounter, FHIRContext: g.FHIRContext, Intent: g.Intent,
		NeedPatientBanner: &banner, SmartStyleURL: s.p.url(s.p.style),
	}
	if scopes.Has(scope.OpenID) {
		if resp.IDToken, err = s.idToken(ctx, g, scopes, nonce, now, exp); err != nil {
			return tokenResponse{}, err
		}
	}
	return resp, nil
}

// idToken signs the OpenID Connect id_token: sub is the user, aud the
// client, sid the grant (so logout can end exactly this grant), and fhirUser
// the absolute URL of the user's FHIR resource when fhirUser was granted.
func (s *Server) idToken(ctx context.Context, g Grant, scopes scope.Set, nonce string, now, exp time.Time) (string, error) {
	c := map[string]any{
		"iss": s.issuer, "sub": g.Subject, "aud": g.ClientID,
		"iat": now.Unix(), "exp": exp.Unix(), "sid": g.ID,
	}
	if !g.AuthTime.IsZero() {
		c["auth_time"] = g.AuthTime.Unix()
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	if scopes.Has(scope.FHIRUser) && g.FHIRUser != "" {
		c["fhirUser"] = s.fhirBase + "/" + g.FHIRUser
	}
	if scopes.Has(scope.Profile) {
		id, err := s.identityOf(ctx, g.Subject, g.Role)
		if err != nil {
			return "", err
		}
		if id.Name != "" {
			c["name"] = id.Name
		}
		c["preferred_username"] = id.Username
	}
	tok, err := s.keys.SignIDToken(ctx, c)
	if err != nil {
		return "", fmt.Errorf("sign id_token: %w", err)
	}
	return tok, nil
}

// newRefreshToken makes a refresh token of the grant; the caller stores it
// (CreateRefreshToken for a new grant, RotateRefreshToken on refresh).
func (s *Server) newRefreshToken(g Grant) (string, RefreshToken, error) {
	v, err := s.rand.secret()
	if err != nil {
		return "", RefreshToken{}, err
	}
	now := s.now()
	return v, RefreshToken{Hash: HashSecret(v), GrantID: g.ID, ClientID: g.ClientID, CreatedAt: now, ExpiresAt: now.Add(s.refreshTTL)}, nil
}

// issueNewGrant issues the first tokens of a grant just created or
// redeemed: a refresh token only when offline_access was granted, or
// online_access on a sign-in session (then the token refreshes only while
// the session lives, see refreshGrant).
func (s *Server) issueNewGrant(ctx context.Context, g Grant, nonce string) (tokenResponse, error) {
	scopes, err := scope.ParseList(g.Scope)
	if err != nil {
		return tokenResponse{}, fmt.Errorf("grant %s scope: %w", g.ID, err)
	}
	var refresh string
	if scopes.Has(scope.OfflineAccess) || (scopes.Has(scope.OnlineAccess) && g.Session != "") {
		var rt RefreshToken
		if refresh, rt, err = s.newRefreshToken(g); err != nil {
			return tokenResponse{}, err
		}
		if err := s.store.CreateRefreshToken(ctx, rt); err != nil {
			return tokenResponse{}, err
		}
	}
	return s.issue(ctx, g, scopes, nonce, refresh)
}
