package web

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// throttle slows password guessing at the sign-in pages: after too many
// failures for one account, or from one address, within the window, the
// form refuses to check passwords until the window has passed. It is per
// node; an attacker spreading guesses over nodes still meets each node's
// limit.
type throttle struct {
	now func() time.Time
	mu  sync.Mutex
	// failures by key ("account:kind:username" or "addr:ip"): the times of
	// the failures inside the window.
	failures map[string][]time.Time
}

const (
	throttleWindow     = 15 * time.Minute
	maxAccountFailures = 5
	maxAddressFailures = 30
	throttleMaxTracked = 100_000 // keys kept before old ones are dropped
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, failures: map[string][]time.Time{}}
}

func accountKey(kind, username string) string { return "account:" + kind + ":" + username }
func addrKey(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		h = r.RemoteAddr
	}
	return "addr:" + h
}

// blocked reports whether either key is over its limit.
func (t *throttle) blocked(account, addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent(account)) >= maxAccountFailures || len(t.recent(addr)) >= maxAddressFailures
}

// failed counts a failure against both keys.
func (t *throttle) failed(account, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failures) > throttleMaxTracked {
		for k := range t.failures {
			if len(t.recent(k)) == 0 {
				delete(t.failures, k)
			}
		}
	}
	now := t.now()
	t.failures[account] = append(t.recent(account), now)
	t.failures[addr] = append(t.recent(addr), now)
}

// succeeded forgets the account's failures.
func (t *throttle) succeeded(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, account)
}

// recent drops the failures older than the window and returns the rest.
func (t *throttle) recent(key string) []time.Time {
	cut := t.now().Add(-throttleWindow)
	fs := t.failures[key]
	i := 0
	for i < len(fs) && fs[i].Before(cut) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.failures, key)
		return nil
	}
	t.failures[key] = fs
	return fs
}
