package authstore

import (
	"context"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
)

// CreateClient implements auth.ClientStore. The origins of the redirect
// URIs are stored beside the client for OriginRegistered.
func (s *Store) CreateClient(ctx context.Context, c auth.Client) error {
	var origins []string
	for _, r := range c.RedirectURIs {
		if o := auth.OriginOf(r); o != "" {
			origins = append(origins, o)
		}
	}
	return s.st.CreateOAuthClient(ctx, store.OAuthClient{
		ID: c.ID, Name: c.Name, AuthMethod: c.AuthMethod, SecretHash: c.SecretHash,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		LaunchURI: c.LaunchURI, GrantTypes: c.GrantTypes, Scope: c.Scope,
		JWKSURI: c.JWKSURI, JWKS: c.JWKS, Contacts: c.Contacts, LogoURI: c.LogoURI,
		Status: string(c.Status), CreatedAt: c.CreatedAt, Origins: origins,
	})
}

func fromClient(c store.OAuthClient) auth.Client {
	return auth.Client{
		ID: c.ID, Name: c.Name, AuthMethod: c.AuthMethod, SecretHash: c.SecretHash,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		LaunchURI: c.LaunchURI, GrantTypes: c.GrantTypes, Scope: c.Scope,
		JWKSURI: c.JWKSURI, JWKS: c.JWKS, Contacts: c.Contacts, LogoURI: c.LogoURI,
		Status: auth.ClientStatus(c.Status), CreatedAt: c.CreatedAt,
	}
}

// Client implements auth.ClientStore.
func (s *Store) Client(ctx context.Context, id string) (auth.Client, error) {
	c, err := s.st.OAuthClient(ctx, id)
	if err != nil {
		return auth.Client{}, err
	}
	return fromClient(c), nil
}

// Clients implements auth.ClientStore.
func (s *Store) Clients(ctx context.Context) ([]auth.Client, error) {
	cs, err := s.st.OAuthClients(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]auth.Client, len(cs))
	for i, c := range cs {
		out[i] = fromClient(c)
	}
	return out, nil
}

// SetClientStatus implements auth.ClientStore.
func (s *Store) SetClientStatus(ctx context.Context, id string, st auth.ClientStatus) error {
	defer s.revokedLocally()
	return s.st.SetOAuthClientStatus(ctx, id, string(st), s.now())
}

// SetClientSecretHash implements auth.ClientStore.
func (s *Store) SetClientSecretHash(ctx context.Context, id, hash string) error {
	return s.st.SetOAuthClientSecretHash(ctx, id, hash)
}

// DeleteClient implements auth.ClientStore.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	defer s.revokedLocally()
	return s.st.DeleteOAuthClient(ctx, id, s.now())
}

// OriginRegistered implements auth.ClientStore.
func (s *Store) OriginRegistered(ctx context.Context, origin string) (bool, error) {
	return s.st.OriginRegistered(ctx, origin)
}
