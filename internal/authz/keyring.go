package authz

import (
	"context"
	"crypto"
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key lifetimes. A key signs for KeySignFor after it was created; then a new
// key takes over and the old one stays in the JWKS, verifying what it
// signed, for MaxTokenLifetime more: no token the server signs may live
// longer than that, so none outlives its key.
const (
	KeySignFor       = 30 * 24 * time.Hour
	MaxTokenLifetime = 7 * 24 * time.Hour

	// reloadEvery is how often the ring rereads the store on its own, to
	// pick up keys other nodes created.
	reloadEvery = 5 * time.Minute
	// missReloadEvery bounds the reloads a token with an unknown kid may
	// cause: the kid is read before the signature is checked, so anyone can
	// send one.
	missReloadEvery = 2 * time.Second
	// retryAfterFailure is how soon a ring that kept its keys through a
	// failed reload asks the store again.
	retryAfterFailure = 5 * time.Second
)

// The two signing algorithms: ES256 for access tokens, RS256 for id_tokens.
const (
	AlgES256 = string(jose.ES256)
	AlgRS256 = string(jose.RS256)
)

// rsaBits is the size of new RSA keys.
const rsaBits = 2048

// errUnknownKey is the verification failure for a kid the ring does not
// hold.
var errUnknownKey = errors.New("unknown signing key")

// KeyRing holds the server's signing keys: the active ES256 and RS256 keys
// and the retired ones still verifying. It creates a missing active key on
// first use and saves it to the store, so the first node to need a key makes
// it and the others load it.
type KeyRing struct {
	store KeyStore
	now   func() time.Time

	randMu sync.Mutex // guards rand, which need not be safe for concurrent use
	rand   io.Reader

	mu       sync.Mutex // serialises loads and key creation
	lastMiss time.Time  // the last reload for an unknown kid, under mu
	set      atomic.Pointer[keySet]
}

// NewKeyRing returns a ring over the store. now and rand default to the
// system clock and crypto/rand. No key is loaded until first use.
func NewKeyRing(store KeyStore, now func() time.Time, rand io.Reader) *KeyRing {
	if now == nil {
		now = time.Now
	}
	if rand == nil {
		rand = crand.Reader
	}
	return &KeyRing{store: store, now: now, rand: rand}
}

// ringKey is a loaded key.
type ringKey struct {
	kid, alg          string
	public            crypto.PublicKey
	signer            jose.Signer
	created, notAfter time.Time
}

// signsAt reports whether the key may sign at now.
func (k *ringKey) signsAt(now time.Time) bool {
	return now.Before(k.created.Add(KeySignFor)) && now.Before(k.notAfter)
}

// keySet is one immutable snapshot of the ring.
type keySet struct {
	next   time.Time // reload from the store after this
	byKID  map[string]*ringKey
	active map[string]*ringKey // by alg: the newest key that signs
	newest map[string]*ringKey // by alg: the newest key, signing or retired
	jwks   []byte
}

// ready reports whether the snapshot is fresh and can sign with each of
// algs.
func (s *keySet) ready(now time.Time, algs []string) bool {
	return s != nil && now.Before(s.next) && s.signs(now, algs)
}

// signs reports whether the snapshot has an active key for each of algs.
func (s *keySet) signs(now time.Time, algs []string) bool {
	for _, a := range algs {
		if k := s.active[a]; k == nil || !k.signsAt(now) {
			return false
		}
	}
	return true
}

// current returns a snapshot holding an active key for each of algs,
// loading or creating keys when needed.
func (r *KeyRing) current(ctx context.Context, algs ...string) (*keySet, error) {
	s := r.set.Load()
	if s.ready(r.now(), algs) {
		return s, nil
	}
	if s != nil && s.signs(r.now(), algs) {
		// Only due for a periodic reload: one caller reloads, the others go
		// on with the keys they have instead of waiting for the store.
		if !r.mu.TryLock() {
			return s, nil
		}
	} else {
		r.mu.Lock()
	}
	defer r.mu.Unlock()
	now := r.now()
	old := r.set.Load()
	if old.ready(now, algs) {
		return old, nil // another caller just loaded
	}
	s, err := r.load(ctx, now, algs)
	if err != nil {
		// A store outage must not stop the server while the keys it has
		// still serve: keep them and ask the store again shortly.
		if old != nil && old.signs(now, algs) {
			cp := *old
			cp.next = now.Add(retryAfterFailure)
			r.set.Store(&cp)
			return &cp, nil
		}
		return nil, err
	}
	r.set.Store(s)
	return s, nil
}

// Reload rereads the keys from the store.
func (r *KeyRing) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.load(ctx, r.now(), nil)
	if err != nil {
		return err
	}
	r.set.Store(s)
	return nil
}

// JWKS is the JSON Web Key Set of the public keys: the active ones and the
// retired ones not yet expired, newest first, each with kid, alg and
// use "sig". The bytes are shared; do not modify them.
func (r *KeyRing) JWKS(ctx context.Context) ([]byte, error) {
	s, err := r.current(ctx, AlgES256, AlgRS256)
	if err != nil {
		return nil, err
	}
	return s.jwks, nil
}

// verifyKey finds the key a token names. An unknown kid may be a key
// another node created since the last load, so the ring reloads once for
// it, at most every missReloadEvery.
func (r *KeyRing) verifyKey(ctx context.Context, kid string) (*ringKey, error) {
	s, err := r.current(ctx)
	if err != nil {
		return nil, err
	}
	now := r.now()
	if k := s.byKID[kid]; k != nil {
		if !now.Before(k.notAfter) {
			return nil, errUnknownKey
		}
		return k, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.set.Load(); cur != s {
		if k := cur.byKID[kid]; k != nil && now.Before(k.notAfter) {
			return k, nil
		}
	}
	if !r.lastMiss.IsZero() && now.Sub(r.lastMiss) < missReloadEvery {
		return nil, errUnknownKey
	}
	r.lastMiss = now
	ns, err := r.load(ctx, now, nil)
	if err != nil {
		return nil, err
	}
	r.set.Store(ns)
	if k := ns.byKID[kid]; k != nil && now.Before(k.notAfter) {
		return k, nil
	}
	return nil, errUnknownKey
}

// newID returns 16 random bytes, base64url: a token id.
func (r *KeyRing) newID() (string, error) {
	var b [16]byte
	r.randMu.Lock()
	_, err := io.ReadFull(r.rand, b[:])
	r.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("token id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
