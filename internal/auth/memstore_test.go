package auth_test

import (
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/auth/authtest"
)

// The in-memory store keeps the same contract as the SQL store: both run
// the one suite in authtest.
func TestMemStoreContract(t *testing.T) {
	authtest.Run(t, func(t *testing.T) auth.Storage { return auth.NewMemStore() })
}
