package testenv

import (
	"context"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
)

// Store is the server's store, for a test that sets records up or looks
// at what a request wrote (audit rows, stored bytes).
func (s *Server) Store() *store.Store { return s.App.Store }

// Create writes a resource straight into the store, as a FHIR client
// would have, and returns its id: the way a test of another face sets
// up the records it reads.
func (s *Server) Create(t testing.TB, body string) string {
	t.Helper()
	o, err := fhirjson.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	rtype, _ := o["resourceType"].(string)
	r, err := s.App.Store.Create(context.Background(), rtype, o, search.Compartment{})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// Read reads a resource from the store as decoded JSON.
func (s *Server) Read(t testing.TB, rtype, id string) fhirjson.Object {
	t.Helper()
	r, err := s.App.Store.Read(context.Background(), rtype, id, search.Compartment{})
	if err != nil {
		t.Fatalf("read %s/%s: %v", rtype, id, err)
	}
	o, err := fhirjson.Decode(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Count is the number of current resources of a type in the store.
func (s *Server) Count(t testing.TB, rtype string) int {
	t.Helper()
	res, err := s.App.Store.Search(context.Background(), &search.Query{Type: rtype, Count: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Resources)
}

// Set sets a site setting (server.SettingStandardAPI, SettingPortalAPI,
// SettingAPILog…), as the administration page does.
func (s *Server) Set(t testing.TB, key, value string) {
	t.Helper()
	if err := s.App.Store.SetSetting(context.Background(), key, value); err != nil {
		t.Fatal(err)
	}
}
