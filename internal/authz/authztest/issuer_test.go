package authztest

import (
	"net/http/httptest"
	"testing"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
)

func TestIssuer(t *testing.T) {
	ti := NewIssuer(t, "https://ehr.test", "https://ehr.test/fhir/r4")
	tests := []struct{ scope, role string }{
		{"system/*.rs", authz.RoleSystem},
		{"launch/patient patient/*.rs", authz.RolePatient},
		{"patient/*.rs user/Patient.rs", authz.RoleClinician},
		{"user/*.cruds", authz.RoleClinician},
	}
	for _, tt := range tests {
		tok := ti.Token(authz.Claims{Scope: tt.scope, Patient: "p-1"})
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		p, err := ti.Verifier().Authenticate(r)
		if err != nil {
			t.Fatal(err)
		}
		if p.Role != tt.role || p.Patient != "p-1" || p.Scopes.String() != tt.scope {
			t.Errorf("%q: role %q", tt.scope, p.Role)
		}
		if err := ti.Store.RevokeToken(t.Context(), p.ID, p.Expiry); err != nil {
			t.Fatal(err)
		}
		if _, err := ti.Verifier().Authenticate(r); errs.KindOf(err) != errs.Unauthorized {
			t.Errorf("revoked token accepted: %v", err)
		}
	}
}
