package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/openapi"
)

// settingSwaggerClient remembers the client id of the demo's Swagger UI
// client across restarts.
const settingSwaggerClient = "swagger_client"

// SwaggerScope is what the Swagger UI client may ask for: both JSON faces,
// as staff or as a patient.
const SwaggerScope = "openid fhirUser api:oemr api:port user/*.cruds patient/*.rs"

// EnsureSwaggerClient registers, once, the confidential client Swagger UI
// uses to authorize (redirect URI /swagger/oauth2-redirect.html, code flow
// with PKCE), and gives it a new secret, which it returns: the secret is
// kept only as a hash, so each start of the demo shows a fresh one. A
// public client could not hold the user/ scopes the standard API needs.
func (a *App) EnsureSwaggerClient(ctx context.Context) (id, secret string, err error) {
	secret, err = newSecret(a.cfg.Rand)
	if err != nil {
		return "", "", err
	}
	id, err = a.Store.Setting(ctx, settingSwaggerClient)
	stale := false // the setting names a client an administrator deleted
	if err == nil {
		if _, err = a.Store.Client(ctx, id); err == nil {
			return id, secret, a.Store.SetClientSecretHash(ctx, id, auth.HashSecret(secret))
		}
		stale = errs.KindOf(err) == errs.NotFound
	}
	if errs.KindOf(err) != errs.NotFound {
		return "", "", err
	}
	reg, err := a.Auth.Register(ctx, auth.ClientMetadata{
		ClientName: "Swagger UI", RedirectURIs: []string{a.BaseURL + openapi.RedirectPath},
		TokenEndpointAuthMethod: auth.AuthClientSecretPost, GrantTypes: []string{auth.GrantAuthorizationCode},
		Scope: SwaggerScope,
	}, true)
	if err != nil {
		return "", "", err
	}
	if stale {
		return reg.ClientID, reg.ClientSecret, a.Store.SetSetting(ctx, settingSwaggerClient, reg.ClientID)
	}
	// Of nodes starting together, the first stored id is the Swagger
	// client; a node that lost removes its own and gives the winner a
	// secret of its own making (the last node's secret is the one that works).
	if id, err = a.Store.InitSetting(ctx, settingSwaggerClient, reg.ClientID); err != nil {
		return "", "", err
	}
	if id != reg.ClientID {
		if err := a.Store.DeleteClient(ctx, reg.ClientID); err != nil && errs.KindOf(err) != errs.NotFound {
			return "", "", err
		}
		return id, secret, a.Store.SetClientSecretHash(ctx, id, auth.HashSecret(secret))
	}
	return reg.ClientID, reg.ClientSecret, nil
}

func newSecret(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
