package authz

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"
)

// orderedStore makes two rings' first use interleave the worst way, with no
// timing: both read the empty store before either saves (loaded waits for
// both), and the second ring saves only after the first has saved and read
// its key back (firstDone).
type orderedStore struct {
	KeyStore
	first     bool
	loads     int
	loaded    *sync.WaitGroup
	firstDone chan struct{}
}

func (s *orderedStore) LoadSigningKeys(ctx context.Context) ([]StoredKey, error) {
	keys, err := s.KeyStore.LoadSigningKeys(ctx)
	s.loads++
	switch s.loads {
	case 1:
		s.loaded.Done()
		s.loaded.Wait()
	case 2:
		if s.first {
			close(s.firstDone)
		}
	}
	return keys, err
}

func (s *orderedStore) SaveSigningKey(ctx context.Context, k StoredKey) error {
	if !s.first {
		<-s.firstDone
	}
	return s.KeyStore.SaveSigningKey(ctx, k)
}

// TestNodesStartingTogetherAgreeOnKeys: two nodes that both find no key
// and both make one settle on the same key, the one stored first: the same
// kid signs on both and both publish the same JWKS. Before key slots, the
// second node kept its own key as well and published a different JWKS, so
// a client that fetched one node's JWKS could not verify the other's
// id_tokens.
func TestNodesStartingTogetherAgreeOnKeys(t *testing.T) {
	for round := range 5 {
		c := newClock()
		shared := newStore(t, c)
		var loaded sync.WaitGroup
		loaded.Add(2)
		done := make(chan struct{})
		a := NewKeyRing(&orderedStore{KeyStore: shared, first: true, loaded: &loaded, firstDone: done}, c.Now, nil)
		b := NewKeyRing(&orderedStore{KeyStore: shared, loaded: &loaded, firstDone: done}, c.Now, nil)
		toks := make([]string, 2)
		errc := make([]error, 2)
		var wg sync.WaitGroup
		for i, r := range []*KeyRing{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				now := c.Now()
				toks[i], errc[i] = r.SignAccessToken(bg, Claims{Issuer: testIssuer, Audience: testAudience, Subject: "u",
					ClientID: "app", Scope: "user/*.rs", Role: RoleClinician, IssuedAt: now, Expiry: now.Add(time.Hour)})
			}()
		}
		wg.Wait()
		for i := range 2 {
			if errc[i] != nil {
				t.Fatalf("round %d: node %d: %v", round, i, errc[i])
			}
		}
		if ka, kb := headerOf(t, toks[0]).KeyID, headerOf(t, toks[1]).KeyID; ka != kb {
			t.Fatalf("round %d: the nodes sign with %s and %s", round, ka, kb)
		}
		stored, _ := shared.LoadSigningKeys(bg)
		if len(stored) != 1 {
			t.Fatalf("round %d: %d keys stored, want the first node's only", round, len(stored))
		}
		ja, err := a.JWKS(bg)
		if err != nil {
			t.Fatal(err)
		}
		jb, err := b.JWKS(bg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ja, jb) {
			t.Fatalf("round %d: the nodes publish different JWKS:\n%s\n%s", round, ja, jb)
		}
	}
}

// TestSuccessorSlotClaimedOnce: at rotation, two rings that each make a
// successor of the same key offer the same slot, and one key is kept.
func TestSuccessorSlotClaimedOnce(t *testing.T) {
	e := newEnv(t)
	kid1 := headerOf(t, e.sign(t, e.claims("user/*.rs"))).KeyID
	other := NewKeyRing(e.store, e.clock.Now, nil)
	e.clock.Advance(KeySignFor + time.Minute)
	kid2 := headerOf(t, e.sign(t, e.claims("user/*.rs"))).KeyID
	// The other node read the same keys before the successor existed:
	// its successor claims the same slot and is dropped.
	nk, err := other.newKey(AlgES256, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	nk.Slot = AlgES256 + ":" + kid1
	if err := e.store.SaveSigningKey(bg, nk); err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	tok, err := other.SignAccessToken(bg, Claims{Issuer: testIssuer, Audience: testAudience, Subject: "u",
		ClientID: "app", Scope: "user/*.rs", Role: RoleClinician, IssuedAt: now, Expiry: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got := headerOf(t, tok).KeyID; got != kid2 || kid2 == kid1 {
		t.Fatalf("the other node signs with %s, want the successor %s (first key %s)", got, kid2, kid1)
	}
	stored, _ := e.store.LoadSigningKeys(bg)
	if len(stored) != 2 {
		t.Fatalf("%d keys stored, want the first and one successor", len(stored))
	}
}
