// Package loginthrottle slows password and client-secret guessing with
// growing delays instead of locking accounts.
//
// Failures are counted per key: the account (the user's account and username), the
// address the attempt came from, and, at the token endpoint, the client id.
// Each class of key has a number of free failures; past it, each further
// failure makes the next attempt wait 2^k seconds (1, 2, 4, … for k = 0, 1,
// 2, …), capped. A hard lock would let anyone who knows a username keep its
// owner out; a delay only slows everyone, the owner included, and a correct
// password after the delay succeeds and resets the account's count. The
// address keeps its count on success, so one good account does not reset
// the guesses an address made at others; the account count still grows
// when an attacker spreads guesses over many addresses. Counts start again
// after a quiet hour.
//
// The counts live in the database (store.Store, migration 0010), so every
// node sees the same ones; Mem keeps them in one process for tests and
// tools. Entering the delayed state is an audit event ("lockout").
package loginthrottle

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
	"github.com/emedpractice/emp/internal/store"
)

// Store keeps the counts. *store.Store is the shared one.
type Store interface {
	ThrottleFail(ctx context.Context, key string, at, resetBefore time.Time) (int, error)
	ThrottleHold(ctx context.Context, key string, until time.Time) error
	ThrottleEntries(ctx context.Context, keys ...string) ([]authrec.ThrottleEntry, error)
	ThrottleList(ctx context.Context, since time.Time, limit int) ([]authrec.ThrottleEntry, error)
	ThrottleClear(ctx context.Context, key string) error
}

// Classes of keys: what a key counts the failures of.
const (
	ClassAccount = "account"
	ClassAddress = "address"
	ClassClient  = "client"
)

// Key names what failures are counted against.
type Key string

// Account is the key of a username of an account ("users" for staff,
// "patient" for the portal's). Usernames are compared exactly, as sign-in
// does.
func Account(account, username string) Key { return Key(ClassAccount + ":" + account + ":" + username) }

// Address is the key of a client address.
func Address(addr string) Key { return Key(ClassAddress + ":" + addr) }

// Client is the key of an OAuth client id at the token endpoint.
func Client(id string) Key { return Key(ClassClient + ":" + id) }

// Class is the key's class: ClassAccount, ClassAddress or ClassClient.
func (k Key) Class() string { class, _, _ := strings.Cut(string(k), ":"); return class }

// Name is the key without its class: "users:alice", "192.0.2.1", a client id.
func (k Key) Name() string { _, name, _ := strings.Cut(string(k), ":"); return name }

// Policy is how a class of key turns failures into delays.
type Policy struct {
	Free int           // failures with no delay
	Cap  time.Duration // the longest delay
}

// PolicyOf is the policy of a class of key. The account's cap is short (a
// user slowed, never kept out for long); an address guessing at many
// accounts is held longer, and gets more free failures, since many people
// may share one address.
func PolicyOf(class string) Policy {
	switch class {
	case ClassAddress:
		return Policy{Free: 20, Cap: 15 * time.Minute}
	case ClassClient:
		// Client secrets are long random values no one guesses; the
		// delay only bounds the work an attacker makes, and stays short
		// because a known client id is enough to delay its real owner.
		return Policy{Free: 10, Cap: time.Minute}
	}
	return Policy{Free: 5, Cap: 5 * time.Minute}
}

// Delay is the wait after the given count of failures: none up to Free,
// then 1 s, 2 s, 4 s … doubling with each failure, at most Cap.
func (p Policy) Delay(failures int) time.Duration {
	k := failures - p.Free - 1
	if k < 0 {
		return 0
	}
	if k >= 30 { // 2^30 s is past any cap; the shift would overflow soon after
		return p.Cap
	}
	return min(time.Duration(1<<k)*time.Second, p.Cap)
}

// ResetAfter is the quiet period after which a key's count starts again.
const ResetAfter = time.Hour

// Throttle decides whether an attempt may be checked and records its
// outcome.
type Throttle struct {
	st    Store
	now   func() time.Time
	audit func(ctx context.Context, ev store.AuditEvent)
}

// New returns a throttle over st. audit, when not nil, receives the
// lockout events (the server passes store.Store.RecordAccess).
func New(st Store, now func() time.Time, audit func(ctx context.Context, ev store.AuditEvent)) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{st: st, now: now, audit: audit}
}

// Wait is how long attempts under any of the keys must still wait; zero
// when they may be checked now.
func (t *Throttle) Wait(ctx context.Context, keys ...Key) (time.Duration, error) {
	wait, _, err := t.Check(ctx, keys...)
	return wait, err
}

// Check is Wait, and also reports whether the first key has failures
// counted: only then has a success anything to reset, so a success with
// nothing counted costs no write.
func (t *Throttle) Check(ctx context.Context, keys ...Key) (wait time.Duration, counted bool, err error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = string(k)
	}
	rows, err := t.st.ThrottleEntries(ctx, names...)
	if err != nil {
		return 0, false, err
	}
	now := t.now()
	for _, e := range rows {
		if len(keys) > 0 && e.Key == string(keys[0]) {
			counted = true
		}
		if e.Until.After(now) && now.Sub(e.LastAt) < ResetAfter {
			wait = max(wait, e.Until.Sub(now))
		}
	}
	return wait, counted, nil
}

// Failed counts a failed attempt against every key and returns how long
// the next attempt under them must wait. A key's first delay is audited as
// a lockout, with the store.RequestInfo of ctx.
func (t *Throttle) Failed(ctx context.Context, keys ...Key) (time.Duration, error) {
	now := t.now()
	var wait time.Duration
	for _, k := range keys {
		n, err := t.st.ThrottleFail(ctx, string(k), now, now.Add(-ResetAfter))
		if err != nil {
			return 0, err
		}
		p := PolicyOf(k.Class())
		d := p.Delay(n)
		if d == 0 {
			continue
		}
		if err := t.st.ThrottleHold(ctx, string(k), now.Add(d)); err != nil {
			return 0, err
		}
		wait = max(wait, d)
		if n == p.Free+1 && t.audit != nil {
			t.audit(ctx, store.AuditEvent{At: now, RequestInfo: store.RequestFrom(ctx), Action: "lockout",
				Type: k.Class(), ResID: k.Name(), Status: 429,
				Detail: fmt.Sprintf("%d failed attempts; each further one waits, doubling up to %v", n, p.Cap)})
		}
	}
	return wait, nil
}

// Succeeded forgets the key's failures: call it with the account (or
// client) key after a correct password, never with the address.
func (t *Throttle) Succeeded(ctx context.Context, k Key) error {
	return t.st.ThrottleClear(ctx, string(k))
}

// Clear forgets a key's failures: an administrator releasing it.
func (t *Throttle) Clear(ctx context.Context, k Key) error {
	return t.st.ThrottleClear(ctx, string(k))
}

// Entry is a key's state for the administrator's list.
type Entry struct {
	Key      Key
	Failures int
	LastAt   time.Time
	Wait     time.Duration // still to wait now; zero when not delayed
}

// Delayed tells whether attempts under the key wait now.
func (e Entry) Delayed() bool { return e.Wait > 0 }

// List returns the keys with failures in the last ResetAfter, newest
// first, at most limit.
func (t *Throttle) List(ctx context.Context, limit int) ([]Entry, error) {
	now := t.now()
	rows, err := t.st.ThrottleList(ctx, now.Add(-ResetAfter), limit)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(rows))
	for _, r := range rows {
		e := Entry{Key: Key(r.Key), Failures: r.Failures, LastAt: r.LastAt}
		if r.Until.After(now) {
			e.Wait = r.Until.Sub(now)
		}
		out = append(out, e)
	}
	return out, nil
}

// Words says a wait for people, rounded up: "1 second", "8 seconds",
// "2 minutes".
func Words(d time.Duration) string {
	if d <= time.Minute {
		s := int((d + time.Second - 1) / time.Second)
		if s <= 1 {
			return "1 second"
		}
		return fmt.Sprintf("%d seconds", s)
	}
	m := int((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%d minutes", m)
}
