package server_test

import (
	"context"
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSwaggerClientAgreedByNodesStartedTogether: nodes started with --demo
// at once on an empty database (on PostgreSQL released together, round
// after round; a SQLite file belongs to one process, so there one after
// the other) end with one Swagger UI client and one secret: every node
// prints the same secret, and it is the one the client's hash matches.
// Then, with the secret reset by an operator, nodes started together again
// agree on one new secret.
func TestSwaggerClientAgreedByNodesStartedTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		rounds, n := 1, 2
		if dialect == "postgres" {
			rounds, n = 5, 3
		}
		ctx := context.Background()
		agreed := func(t *testing.T, round int, nodes []node) (id, secret string) {
			t.Helper()
			id, secret = nodes[0].app.SwaggerClient, nodes[0].app.SwaggerSecret
			for i, nd := range nodes {
				if nd.app.SwaggerClient != id || nd.app.SwaggerSecret != secret {
					t.Fatalf("round %d: node %d has Swagger client %s (secret same: %v), node 0 has %s", round, i,
						nd.app.SwaggerClient, nd.app.SwaggerSecret == secret, id)
				}
			}
			c, err := nodes[0].app.Store.Client(ctx, id)
			if err != nil {
				t.Fatalf("round %d: the agreed client: %v", round, err)
			}
			if c.SecretHash != auth.HashSecret(secret) {
				t.Fatalf("round %d: the secret every node prints does not authenticate the client", round)
			}
			return id, secret
		}
		for round := range rounds {
			dsn := storetest.DSN(t, dialect)
			nodes := openNodes(t, dsn, n, server.Config{Demo: true}, dialect == "postgres")
			id, secret := agreed(t, round, nodes)
			if err := nodes[0].app.Store.SetClientSecretHash(ctx, id, auth.HashSecret("reset-by-operator")); err != nil {
				t.Fatal(err)
			}
			for _, nd := range nodes {
				nd.srv.Close()
				nd.app.Close()
			}
			again := openNodes(t, dsn, n, server.Config{Demo: true}, dialect == "postgres")
			id2, secret2 := agreed(t, round, again)
			if id2 != id || secret2 == secret {
				t.Fatalf("round %d: after the reset: client %s (was %s), secret replaced %v", round, id2, id, secret2 != secret)
			}
			for _, nd := range again {
				nd.srv.Close()
				nd.app.Close()
			}
		}
	})
}
