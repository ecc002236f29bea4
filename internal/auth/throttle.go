package auth

import (
	"fmt"
	"sync"
	"time"
)

// Login throttling. Failures are counted per account and per client address
// over a window; past a limit, sign-ins are refused for a while, the account
// lock growing with each further failure. The account limit stops guessing
// one password from many addresses, the address limit guessing many
// accounts from one address. The counts live in the process: a cluster of n
// nodes allows up to n times the attempts, still far below what guessing
// needs.
const (
	throttleWindow      = 15 * time.Minute
	accountFailureLimit = 5
	addressFailureLimit = 20
	accountLockBase     = time.Minute
	accountLockMax      = time.Hour
	addressLock         = 15 * time.Minute
	throttleMaxEntries  = 100_000
)

type throttle struct {
	mu       sync.Mutex
	now      func() time.Time
	accounts map[string]*failures
	addrs    map[string]*failures
}

type failures struct {
	count int
	first time.Time // start of the window
	until time.Time // refused until then
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, accounts: map[string]*failures{}, addrs: map[string]*failures{}}
}

func accountKey(kind, username string) string { return kind + "\x00" + username }

// blocked is how long sign-ins for the account or from the address are
// refused; zero when they are allowed.
func (t *throttle) blocked(kind, username, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	wait := time.Duration(0)
	for _, f := range []*failures{t.accounts[accountKey(kind, username)], t.addrs[addr]} {
		if f != nil && now.Before(f.until) {
			wait = max(wait, f.until.Sub(now))
		}
	}
	return wait
}

// failed counts a failed sign-in.
func (t *throttle) failed(kind, username, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if f := count(t.accounts, accountKey(kind, username), now); f.count >= accountFailureLimit {
		lock := accountLockBase << min(f.count-accountFailureLimit, 6)
		f.until = now.Add(min(lock, accountLockMax))
	}
	if f := count(t.addrs, addr, now); f.count >= addressFailureLimit {
		f.until = now.Add(addressLock)
	}
}

// succeeded forgets an account's failures. The address keeps its count: one
// good password among many guesses should not reset them.
func (t *throttle) succeeded(kind, username string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.accounts, accountKey(kind, username))
}

// count adds a failure to key's window, starting a new window when the old
// one ended and no lock is running.
func count(m map[string]*failures, key string, now time.Time) *failures {
	f := m[key]
	if f == nil || (now.Sub(f.first) > throttleWindow && !now.Before(f.until)) {
		if len(m) >= throttleMaxEntries {
			sweep(m, now)
		}
		f = &failures{first: now}
		m[key] = f
	}
	f.count++
	return f
}

// sweep drops finished entries; if the map is still full (an attack from
// very many keys), it starts over rather than grow without bound.
func sweep(m map[string]*failures, now time.Time) {
	for k, f := range m {
		if now.Sub(f.first) > throttleWindow && !now.Before(f.until) {
			delete(m, k)
		}
	}
	if len(m) >= throttleMaxEntries {
		clear(m)
	}
}

// roundWait says a wait in whole minutes for people.
func roundWait(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
