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
//
// Nodes that start together agree on one client and one secret: the first
// node to store them wins and every other reads them back. Deciding whether
// the kept client and secret still hold and replacing them is a read, then
// writes to two records (the setting, the client's hash), so it runs under
// the database's start lock: a node that read a secret another node is
// about to replace would otherwise replace it again, and the nodes would
// print different secrets of which only the last works.
func (a *App) EnsureSwaggerClient(ctx context.Context) (id, secret string, err error) {
	release, err := a.Store.StartLock(ctx, "swagger-client")
	if err != nil {
		return "", "", err
	}
	defer release()
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
	// First start: stored first-writer-wins and read back, as the other
	// shared secrets are; a node of another release that does not take
	// the lock still ends on the same client and secret.
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
	if secret, err = a.Store.InitSetting(ctx, settingSwaggerSecret, reg.ClientSecret); err != nil {
		return "", "", err
	}
	if secret != reg.ClientSecret {
		// A secret kept from before (the client setting was removed by
		// hand): the client takes it, so that what is printed works.
		err = a.Store.SetClientSecretHash(ctx, reg.ClientID, auth.HashSecret(secret))
	}
	return reg.ClientID, secret, err
}

// swaggerSecret is the Swagger client's kept secret while it still matches
// the client's hash; otherwise a new one, kept. It runs under the start
// lock (see EnsureSwaggerClient).
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
