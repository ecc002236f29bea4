package store_test

import (
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/auth/authtest"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// The store keeps the auth.Storage contract on every database.
func TestAuthStorageContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		authtest.Run(t, func(t *testing.T) auth.Storage {
			return storetest.Open(t, dialect, store.Options{})
		})
	})
}
