package authstore_test

import (
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/auth/authstore"
	"github.com/emedpractice/emp/internal/auth/authtest"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// The SQL storage keeps the auth.Storage contract on every database.
func TestContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		authtest.Run(t, func(t *testing.T) auth.Storage {
			return authstore.New(storetest.Open(t, dialect, store.Options{}))
		})
	})
}
