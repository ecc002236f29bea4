package authtest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

func testInteractions(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	in := auth.Interaction{ID: "i1", SessionHash: "sh", CSRF: "csrf", ClientID: "c", RedirectURI: "https://a.example/cb",
		State: "st", Nonce: "n", CodeChallenge: "cc", Scope: "launch openid", EHRLaunch: true, Patient: "pat-1",
		Encounter: "enc-1", Intent: "reconcile", FHIRContext: []auth.FHIRContext{{Reference: "Appointment/1", Role: "launch"}},
		UserID: "u1", Account: auth.AccountStaff, Role: "clinician", FHIRUser: "Practitioner/pr-1", AuthTime: at(time.Second),
		CreatedAt: at(0), ExpiresAt: at(10 * time.Minute)}
	must(t, s.SaveInteraction(ctx, in))
	got, err := s.Interaction(ctx, "i1")
	must(t, err)
	same(t, "interaction", got, in)

	// Saving again replaces the whole record.
	next := auth.Interaction{ID: "i1", ClientID: "c", Scope: "openid", CreatedAt: at(0), ExpiresAt: at(time.Minute)}
	must(t, s.SaveInteraction(ctx, next))
	got, err = s.Interaction(ctx, "i1")
	must(t, err)
	same(t, "replaced interaction", got, next)

	must(t, s.DeleteInteraction(ctx, "i1"))
	must(t, s.DeleteInteraction(ctx, "i1"))
	_, err = s.Interaction(ctx, "i1")
	wantKind(t, "deleted interaction", err, errs.NotFound)
}

func testLaunches(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	l := auth.Launch{Hash: "lh", ClientID: "c", Patient: "pat-1", Encounter: "enc-1", Intent: "summary",
		FHIRContext: []auth.FHIRContext{{Reference: "Appointment/1"}, {Canonical: "http://x.example/Q|1", Type: "Questionnaire"}},
		CreatedAt:   at(0), ExpiresAt: at(time.Hour)}
	must(t, s.CreateLaunch(ctx, l))
	got, err := s.Launch(ctx, "lh")
	must(t, err)
	same(t, "launch", got, l)
	must(t, s.CreateLaunch(ctx, auth.Launch{Hash: "bare", ClientID: "c"}))
	got, err = s.Launch(ctx, "bare")
	must(t, err)
	same(t, "bare launch", got, auth.Launch{Hash: "bare", ClientID: "c"})

	wantKind(t, "duplicate launch", s.CreateLaunch(ctx, l), errs.Conflict)
	_, err = s.Launch(ctx, "nope")
	wantKind(t, "unknown launch", err, errs.NotFound)
}

func testCodes(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	c := auth.Code{Hash: "h", GrantID: "g", ClientID: "c", RedirectURI: "https://a.example/cb", CodeChallenge: "cc",
		Nonce: "n", CreatedAt: at(0), ExpiresAt: at(time.Minute)}
	must(t, s.CreateCode(ctx, c))
	wantKind(t, "duplicate code", s.CreateCode(ctx, c), errs.Conflict)

	// Reading a code does not spend it.
	peek, err := s.Code(ctx, "h")
	must(t, err)
	same(t, "code read before use", peek, c)
	_, err = s.Code(ctx, "nope")
	wantKind(t, "read of unknown code", err, errs.NotFound)

	got, replay, err := s.ConsumeCode(ctx, "h", at(time.Second))
	must(t, err)
	want := c
	want.UsedAt = at(time.Second)
	if replay {
		t.Error("first use is a replay")
	}
	same(t, "consumed code", got, want)

	// A later use is a replay and keeps the first use's time.
	got, replay, err = s.ConsumeCode(ctx, "h", at(2*time.Second))
	must(t, err)
	if !replay {
		t.Error("second use is no replay")
	}
	same(t, "replayed code", got, want)
	peek, err = s.Code(ctx, "h")
	must(t, err)
	same(t, "code read after use", peek, want)

	_, _, err = s.ConsumeCode(ctx, "nope", at(0))
	wantKind(t, "unknown code", err, errs.NotFound)
}

func testConsumeCodeConcurrently(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	must(t, s.CreateCode(ctx, auth.Code{Hash: "h", GrantID: "g", ExpiresAt: at(time.Minute)}))
	var first, replays atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			c, replay, err := s.ConsumeCode(ctx, "h", at(time.Second))
			if err != nil || c.GrantID != "g" || c.UsedAt.IsZero() {
				t.Errorf("%v %+v", err, c)
				return
			}
			if replay {
				replays.Add(1)
			} else {
				first.Add(1)
			}
		})
	}
	wg.Wait()
	if first.Load() != 1 || replays.Load() != 49 {
		t.Errorf("first %d replays %d, want 1 and 49", first.Load(), replays.Load())
	}
}

func testAssertionIDs(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	exp := at(time.Minute)
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			f, err := s.UseAssertionID(ctx, "c", "j", exp)
			if err != nil {
				t.Error(err)
			}
			if f {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Errorf("fresh %d times, want once", fresh.Load())
	}
	cases := []struct {
		client, jti string
		want        bool
	}{
		{"c", "j", false},
		{"other-client", "j", true}, // jtis are per client
		{"c", "j2", true},
		{"c", "j2", false},
	}
	for _, c := range cases {
		f, err := s.UseAssertionID(ctx, c.client, c.jti, exp)
		must(t, err)
		if f != c.want {
			t.Errorf("UseAssertionID(%s, %s) = %v", c.client, c.jti, f)
		}
	}
}
