package authz

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// load reads the store and creates the missing active keys among algs. Must
// hold r.mu.
func (r *KeyRing) load(ctx context.Context, now time.Time, algs []string) (*keySet, error) {
	stored, err := r.store.LoadSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	s, err := buildSet(stored, now)
	if err != nil {
		return nil, err
	}
	created := false
	for _, alg := range algs {
		if k := s.active[alg]; k != nil && k.signsAt(now) {
			continue
		}
		nk, err := r.newKey(alg, now)
		if err != nil {
			return nil, err
		}
		// The slot names the newest key of alg this node read: every node
		// that read the same keys offers the same slot, and only the first
		// key offered for it is stored.
		nk.Slot = alg + ":"
		if prev := s.newest[alg]; prev != nil {
			nk.Slot += prev.kid
		}
		if err := r.store.SaveSigningKey(ctx, nk); err != nil {
			return nil, fmt.Errorf("save signing key: %w", err)
		}
		created = true
	}
	if !created {
		return s, nil
	}
	// Read back what was kept, never the key made here: another node may
	// have claimed the slot first, and every node must settle on its key.
	if stored, err = r.store.LoadSigningKeys(ctx); err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	if s, err = buildSet(stored, now); err != nil {
		return nil, err
	}
	for _, alg := range algs {
		if s.active[alg] == nil {
			return nil, fmt.Errorf("the key store did not keep the new %s key", alg)
		}
	}
	return s, nil
}

// buildSet parses stored keys into a snapshot. Keys of an algorithm this
// version does not know are skipped (a newer node may have made them); a
// key that does not parse is an error, since tokens signed by it would fail.
func buildSet(stored []StoredKey, now time.Time) (*keySet, error) {
	stored = slices.Clone(stored)
	slices.SortStableFunc(stored, func(a, b StoredKey) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.KID, b.KID)
	})
	s := &keySet{next: now.Add(reloadEvery), byKID: map[string]*ringKey{}, active: map[string]*ringKey{}, newest: map[string]*ringKey{}}
	var pub jose.JSONWebKeySet
	for _, sk := range stored {
		if !now.Before(sk.NotAfter) || (sk.Alg != AlgES256 && sk.Alg != AlgRS256) {
			continue
		}
		k, err := parseStoredKey(sk)
		if err != nil {
			return nil, err
		}
		if _, dup := s.byKID[k.kid]; dup {
			continue
		}
		s.byKID[k.kid] = k
		if s.newest[k.alg] == nil {
			s.newest[k.alg] = k
		}
		if s.active[k.alg] == nil && k.signsAt(now) {
			s.active[k.alg] = k
		}
		pub.Keys = append(pub.Keys, jose.JSONWebKey{Key: k.public, KeyID: k.kid, Algorithm: k.alg, Use: "sig"})
	}
	if pub.Keys == nil {
		pub.Keys = []jose.JSONWebKey{}
	}
	jwks, err := json.Marshal(pub)
	if err != nil {
		return nil, fmt.Errorf("encode JWKS: %w", err)
	}
	s.jwks = jwks
	return s, nil
}

func parseStoredKey(sk StoredKey) (*ringKey, error) {
	block, _ := pem.Decode(sk.PrivatePEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: not a PEM PRIVATE KEY", sk.KID)
	}
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.KID, err)
	}
	k := &ringKey{kid: sk.KID, alg: sk.Alg, created: sk.Created, notAfter: sk.NotAfter}
	typ := "JWT"
	switch p := priv.(type) {
	case *ecdsa.PrivateKey:
		if sk.Alg != AlgES256 || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("signing key %s: an EC key is only used for ES256 on P-256", sk.KID)
		}
		k.public = p.Public()
		typ = "at+jwt"
	case *rsa.PrivateKey:
		if sk.Alg != AlgRS256 || p.N.BitLen() < rsaBits {
			return nil, fmt.Errorf("signing key %s: an RSA key is only used for RS256, at least %d bits", sk.KID, rsaBits)
		}
		k.public = p.Public()
	default:
		return nil, fmt.Errorf("signing key %s: unsupported key type %T", sk.KID, priv)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(sk.Alg), Key: jose.JSONWebKey{Key: priv, KeyID: sk.KID}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)),
	)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.KID, err)
	}
	k.signer = signer
	return k, nil
}

// newKey generates a key. Its kid is the RFC 7638 thumbprint of the public
// key, unique without coordination between nodes.
func (r *KeyRing) newKey(alg string, now time.Time) (StoredKey, error) {
	var priv crypto.Signer
	var err error
	r.randMu.Lock()
	switch alg {
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), r.rand)
	case AlgRS256:
		priv, err = rsa.GenerateKey(r.rand, rsaBits)
	default:
		err = fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	r.randMu.Unlock()
	if err != nil {
		return StoredKey{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return StoredKey{}, err
	}
	jwk := jose.JSONWebKey{Key: priv.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return StoredKey{}, err
	}
	return StoredKey{
		KID:        base64.RawURLEncoding.EncodeToString(tp),
		Alg:        alg,
		PrivatePEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		Created:    now,
		NotAfter:   now.Add(KeySignFor + MaxTokenLifetime),
	}, nil
}
