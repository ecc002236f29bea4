package authz

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

const (
	testIssuer   = "https://ehr.example.org"
	testAudience = "https://ehr.example.org/fhir/r4"
)

// newClock is a frozen clock at a fixed instant, moved by Advance.
func newClock() *storetest.Clock {
	return storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

// countingStore wraps a KeyStore, counting loads and failing on demand.
type countingStore struct {
	KeyStore
	mu    sync.Mutex
	loads int
	saves int
	fail  bool
}

func (s *countingStore) LoadSigningKeys(ctx context.Context) ([]StoredKey, error) {
	s.mu.Lock()
	s.loads++
	fail := s.fail
	s.mu.Unlock()
	if fail {
		return nil, errors.New("database unavailable")
	}
	return s.KeyStore.LoadSigningKeys(ctx)
}

func (s *countingStore) SaveSigningKey(ctx context.Context, k StoredKey) error {
	s.mu.Lock()
	s.saves++
	fail := s.fail
	s.mu.Unlock()
	if fail {
		return errors.New("database unavailable")
	}
	return s.KeyStore.SaveSigningKey(ctx, k)
}

func (s *countingStore) counts() (loads, saves int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads, s.saves
}

func (s *countingStore) setFail(f bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = f
}

// env is a key ring, its store and clock, and a verifier, over a store in
// the test's temporary folder.
type env struct {
	clock *storetest.Clock
	db    *store.Store
	store *countingStore
	keys  *KeyRing
	rev   *RevocationCache
	v     *Verifier
}

func newEnv(t testing.TB) *env {
	t.Helper()
	c := newClock()
	db := newStore(t, c)
	st := &countingStore{KeyStore: db}
	keys := NewKeyRing(st, c.Now, nil)
	rev := NewRevocationCache(db, RevocationCacheOptions{Now: c.Now})
	return &env{clock: c, db: db, store: st, keys: keys, rev: rev,
		v: NewVerifier(VerifierConfig{Keys: keys, Issuer: testIssuer, Audience: testAudience, Revocation: rev, Now: c.Now})}
}

// newStore opens a store on SQLite in the test's folder, on the clock.
func newStore(t testing.TB, c *storetest.Clock) *store.Store {
	t.Helper()
	return storetest.Open(t, "sqlite", store.Options{Now: c.Now})
}

// claims are valid claims at the env's time.
func (e *env) claims(scopes string) Claims {
	now := e.clock.Now()
	return Claims{
		Issuer: testIssuer, Audience: testAudience, Subject: "user-1", ClientID: "app-1",
		Scope: scopes, Role: RoleClinician, IssuedAt: now, Expiry: now.Add(time.Hour),
	}
}

func (e *env) sign(t testing.TB, c Claims) string {
	t.Helper()
	tok, err := e.keys.SignAccessToken(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// wantErr checks that err is an *errs.Error of kind k whose message holds
// msg.
func wantErr(t *testing.T, err error, k errs.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v %q", k, msg)
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *errs.Error", err)
	}
	if e.Kind != k || !strings.Contains(e.Message, msg) {
		t.Fatalf("error = kind %v %q, want kind %v with %q", e.Kind, e.Message, k, msg)
	}
}
