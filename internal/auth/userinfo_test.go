package auth

import (
	"net/http"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestUserinfo(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	r := e.get("/connect/userinfo", bearer(tok.str("access_token")))
	id := verifyIDToken(t, e, tok.str("id_token"))
	if r.status != 200 || r.json["sub"] != id["sub"] || r.json["fhirUser"] != e.fhirBase+"/Patient/pat-1" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestUserinfoRefusals(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	code, verifier := e.codeFlow(clientID, "launch/patient patient/Patient.rs")
	noOpenID := e.exchange(clientID, code, verifier)
	backend := e.backendClient("system/*.rs")
	cc := e.post("/connect/token", ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(backend), nil)))
	cases := []struct {
		name   string
		mod    func(*http.Request)
		status int
	}{
		{"no token", func(*http.Request) {}, 401},
		{"bad token", bearer("x.y.z"), 401},
		{"no openid", bearer(noOpenID.str("access_token")), 403},
		{"backend token", bearer(cc.str("access_token")), 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get("/connect/userinfo", tc.mod)
			if r.status != tc.status || r.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %v %s", r.status, r.header, r.body)
			}
		})
	}
}
