package store_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// Revoked runs on every API request: a revoked-jti probe and a grant probe,
// both by primary key.
func BenchmarkAuthRevoked(b *testing.B) {
	ctx := b.Context()
	s := storetest.Open(b, "sqlite", store.Options{})
	now := time.Now()
	for i := range 1000 {
		id := strconv.Itoa(i)
		if err := s.CreateGrant(ctx, authrec.Grant{ID: "g" + id, ClientID: "c", CreatedAt: now}); err != nil {
			b.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "revoked-"+id, now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("grant", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if r, err := s.Revoked(ctx, authrec.TokenRef{JTI: "live-jti", Grant: "g500", ClientID: "client", IssuedAt: time.Unix(1700000000, 0)}); err != nil || r {
					b.Error(r, err)
					return
				}
			}
		})
	})
	b.Run("no-grant", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if r, err := s.Revoked(ctx, authrec.TokenRef{JTI: "live-jti", ClientID: "client", IssuedAt: time.Unix(1700000000, 0)}); err != nil || r {
					b.Error(r, err)
					return
				}
			}
		})
	})
}

// ConsumeCode is one write transaction per token exchange.
func BenchmarkAuthConsumeCode(b *testing.B) {
	ctx := b.Context()
	s := storetest.Open(b, "sqlite", store.Options{})
	now := time.Now()
	b.Run("first", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			h := "code-" + strconv.Itoa(i)
			if err := s.CreateCode(ctx, authrec.Code{Hash: h, GrantID: "g", ExpiresAt: now.Add(time.Minute)}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, replay, err := s.ConsumeCode(ctx, h, now); err != nil || replay {
				b.Fatal(replay, err)
			}
		}
	})
	if err := s.CreateCode(ctx, authrec.Code{Hash: "used", GrantID: "g", ExpiresAt: now.Add(time.Minute)}); err != nil {
		b.Fatal(err)
	}
	b.Run("replay-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.ConsumeCode(ctx, "used", now); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
