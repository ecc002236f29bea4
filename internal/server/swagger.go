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
	id, err = a.AuthStore.Setting(ctx, settingSwaggerClient)
	if err == nil {
		var c auth.Client
		if c, err = a.AuthStore.Client(ctx, id); err == nil {
			kept, kerr := a.AuthStore.Setting(ctx, settingSwaggerSecret)
			if kerr == nil && kept != "" && subtle.ConstantTimeCompare([]byte(auth.HashSecret(kept)), []byte(c.SecretHash)) == 1 {
				return id, kept, nil
			}
			if kerr != nil && errs.KindOf(kerr) != errs.NotFound {
				return "", "", kerr
			}
			if secret, err = newSecret(a.cfg.Rand); err != nil {
				return "", "", err
			}
			if err := a.AuthStore.SetClientSecretHash(ctx, id, auth.HashSecret(secret)); err != nil {
				return "", "", err
			}
			return id, secret, a.AuthStore.SetSetting(ctx, settingSwaggerSecret, secret)
		}
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
	if err := a.AuthStore.SetSetting(ctx, settingSwaggerClient, reg.ClientID); err != nil {
		return "", "", err
	}
	if err := a.AuthStore.SetSetting(ctx, settingSwaggerSecret, reg.ClientSecret); err != nil {
		return "", "", err
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
