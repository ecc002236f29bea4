package testenv

import (
	"sync/atomic"
	"time"
)

// Clock is the real time moved forward by what the test advanced it:
// give its Now to server.Config.Now to see what the server does once a
// session or a token is older than it allows. It stays on the real time
// so that what lives outside the server (a cookie jar's expiries) agrees.
type Clock struct{ skew atomic.Int64 }

// Now is the real time plus the advance.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.skew.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.skew.Add(int64(d)) }
