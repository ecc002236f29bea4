package authtest

import (
	"reflect"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

// NewStorage returns an empty storage for one test.
type NewStorage func(t *testing.T) auth.Storage

// Run runs the whole contract, each part as a subtest on a fresh storage.
func Run(t *testing.T, newStore NewStorage) {
	parts := []struct {
		name string
		fn   func(t *testing.T, s auth.Storage)
	}{
		{"Clients", testClients},
		{"ClientOrigins", testClientOrigins},
		{"DeleteClient", testDeleteClient},
		{"DisableClient", testDisableClient},
		{"Users", testUsers},
		{"PatientUsers", testPatientUsers},
		{"Interactions", testInteractions},
		{"Launches", testLaunches},
		{"Codes", testCodes},
		{"ConsumeCodeOnceUnderConcurrency", testConsumeCodeConcurrently},
		{"AssertionIDOnce", testAssertionIDs},
		{"Grants", testGrants},
		{"GrantsBySubject", testGrantsBySubject},
		{"RefreshTokens", testRefreshTokens},
		{"RotateOnceUnderConcurrency", testRotateConcurrently},
		{"Revoked", testRevoked},
		{"Settings", testSettings},
		{"Sessions", testSessions},
		{"SetPasswordHash", testSetPasswordHash},
	}
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) { p.fn(t, newStore(t)) })
	}
}

// at is the suite's clock: a fixed instant plus d, in UTC and to the
// microsecond, the precision a store may keep.
func at(d time.Duration) time.Time {
	return time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC).Add(d)
}

// must fails the test at once on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantKind checks the kind of an error.
func wantKind(t *testing.T, what string, err error, k errs.Kind) {
	t.Helper()
	if err == nil || errs.KindOf(err) != k {
		t.Errorf("%s: error %v, want kind %v", what, err, k)
	}
}

// same checks that a record read back equals the one written.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}
