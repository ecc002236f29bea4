package authstore

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/auth"
)

// The gate asks Revoked on every request. Revocations are rare, so a node
// keeps its answers while the store's revocation epoch (a counter every
// revocation increments in its own transaction) is unchanged, and reads the
// epoch at most once every EpochTTL. A revocation made through this node
// takes effect on it at once; one made on another node within EpochTTL.

// DefaultEpochTTL is how long a node trusts the revocation epoch it read.
const DefaultEpochTTL = 250 * time.Millisecond

// maxRevocationAnswers bounds the kept answers; past it they start over.
const maxRevocationAnswers = 100_000

type revocationCache struct {
	mu      sync.Mutex
	valid   bool      // epoch was read and no local revocation happened since
	epoch   int64     // the store's revocation epoch the answers belong to
	read    time.Time // when epoch was read
	answers map[string]bool
}

func revocationKey(t auth.TokenRef) string {
	return t.JTI + "\x00" + t.Grant + "\x00" + t.ClientID + "\x00" + strconv.FormatInt(t.IssuedAt.Unix(), 10)
}

// Revoked implements auth.GrantStore.
func (s *Store) Revoked(ctx context.Context, t auth.TokenRef) (bool, error) {
	c := &s.revoked
	now := s.now()
	c.mu.Lock()
	fresh := c.valid && now.Sub(c.read) < s.epochTTL
	c.mu.Unlock()
	if !fresh {
		e, err := s.st.RevocationEpoch(ctx)
		if err != nil {
			return false, err
		}
		c.mu.Lock()
		if !c.valid || e != c.epoch {
			c.answers = map[string]bool{}
			c.epoch = e
		}
		c.valid, c.read = true, now
		c.mu.Unlock()
	}
	key := revocationKey(t)
	c.mu.Lock()
	v, ok := c.answers[key]
	epoch := c.epoch
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := s.st.Revoked(ctx, t.JTI, t.Grant, t.ClientID, t.IssuedAt)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	// Kept only if no newer epoch was seen meanwhile: an answer from before
	// a revocation must not outlive it.
	if c.valid && c.epoch == epoch {
		if len(c.answers) >= maxRevocationAnswers {
			c.answers = map[string]bool{}
		}
		c.answers[key] = v
	}
	c.mu.Unlock()
	return v, nil
}

// revokedLocally forgets every kept answer after a revocation through this
// node, so that it takes effect here at once.
func (s *Store) revokedLocally() {
	s.revoked.mu.Lock()
	s.revoked.valid = false
	s.revoked.answers = nil
	s.revoked.mu.Unlock()
}
