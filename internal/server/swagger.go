package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"io"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/openapi"
)

// settingSwaggerClient remembers the client id of the demo's Swagger UI
// client across restarts; settingSwaggerSecret its secret, so that the
// secret a developer pasted into Swagger UI keeps working after a restart.
// The client is the demo's (--demo only) and its secret is printed at each
// start anyway; a real deployment has neither.
const (
	settingSwaggerClient = "swagger_client"
	settingSwaggerSecret = "swagger_client_secret"
)

// SwaggerScope is what the Swagger UI client may ask for: both JSON faces,
// as staff or as a patient.
const SwaggerScope = "openid fhirUser api:oemr api:port user/*.cruds patient/*.rs"

// EnsureSwaggerClient registers, once, the confidential client Swagger UI
// uses to authorize (redirect URI /swagger/oauth2-redirect.html, code flow
// with PKCE), and returns its id and secret. The secret stays the same from
// one start to the next while it still matches the client's hash (an
// operator who reset it gets a new one). A public client could not hold the
// user/ scopes the standard API needs.
func (a *App) EnsureSwaggerClient(ctx context.Context) (id, secret string, err error) {
	id, err = a.Store.Setting(ctx, settingSwaggerClient)
	stale := false // the setting names a client an administrator deleted
	if err == nil {
		var c auth.Client
		if c, err = a.Store.Client(ctx, id); err == nil {
			return a.swaggerSecret(ctx, c)
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
		if err := a.Store.SetSetting(ctx, settingSwaggerClient, reg.ClientID); err != nil {
			return "", "", err
		}
		return reg.ClientID, reg.ClientSecret, a.Store.SetSetting(ctx, settingSwaggerSecret, reg.ClientSecret)
	}
	// Of nodes starting together, the first stored id is the Swagger
	// client; a node that lost removes its own and takes the winner's
	// (with a secret of its own making when the winner's is not kept yet:
	// the last node's secret is the one that works).
	if id, err = a.Store.InitSetting(ctx, settingSwaggerClient, reg.ClientID); err != nil {
		return "", "", err
	}
	if id != reg.ClientID {
		if err := a.Store.DeleteClient(ctx, reg.ClientID); err != nil && errs.KindOf(err) != errs.NotFound {
			return "", "", err
		}
		c, err := a.Store.Client(ctx, id)
		if err != nil {
			return "", "", err
		}
		return a.swaggerSecret(ctx, c)
	}
	return reg.ClientID, reg.ClientSecret, a.Store.SetSetting(ctx, settingSwaggerSecret, reg.ClientSecret)
}

// swaggerSecret is the Swagger client's kept secret while it still matches
// the client's hash; otherwise a new one, kept.
func (a *App) swaggerSecret(ctx context.Context, c auth.Client) (id, secret string, err error) {
	kept, err := a.Store.Setting(ctx, settingSwaggerSecret)
	if err == nil && kept != "" && subtle.ConstantTimeCompare([]byte(auth.HashSecret(kept)), []byte(c.SecretHash)) == 1 {
		return c.ID, kept, nil
	}
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return "", "", err
	}
	if secret, err = newSecret(a.cfg.Rand); err != nil {
		return "", "", err
	}
	if err := a.Store.SetClientSecretHash(ctx, c.ID, auth.HashSecret(secret)); err != nil {
		return "", "", err
	}
	return c.ID, secret, a.Store.SetSetting(ctx, settingSwaggerSecret, secret)
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
