package auth

import (
	"net/netip"
	"strings"
	"testing"
)

func TestPBKDF2(t *testing.T) {
	h := PBKDF2{Iterations: 1000}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$pbkdf2-sha256$i=1000,l=32$") {
		t.Errorf("hash %q", hash)
	}
	if ok, err := h.Verify(hash, "correct horse"); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, _ := h.Verify(hash, "correct horsE"); ok {
		t.Error("wrong password accepted")
	}
	// A hasher of another cost still verifies: the cost is in the hash.
	if ok, _ := (PBKDF2{}).Verify(hash, "correct horse"); !ok {
		t.Error("cost not read from the hash")
	}
	other, _ := h.Hash("correct horse")
	if other == hash {
		t.Error("no salt")
	}
	for _, bad := range []string{"", "plain", "$pbkdf2-sha256$i=0,l=32$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$pbkdf2-sha256$i=99999999,l=32$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"} {
		if _, err := h.Verify(bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestPBKDF2DefaultCost(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes at full cost")
	}
	hash, err := PBKDF2{}.Hash("x")
	if err != nil || !strings.Contains(hash, "$i=600000,") {
		t.Fatalf("%q %v", hash, err)
	}
}

func TestRedirectURIRules(t *testing.T) {
	cases := map[string]bool{
		"https://app.example/cb":          true,
		"https://app.example:8443/cb?x=1": true,
		"http://127.0.0.1:9000/cb":        true,
		"http://[::1]/cb":                 true,
		"http://localhost/cb":             true,
		"com.example.app:/oauth2":         true,
		"http://app.example/cb":           false,
		"https://app.example/cb#frag":     false,
		"javascript:alert(1)":             false,
		"data:text/html,hi":               false,
		"file:///etc/passwd":              false,
		"https:///nohost":                 false,
		"//app.example/cb":                false,
		"cb":                              false,
	}
	for u, want := range cases {
		if got := checkRedirectURI(u) == nil; got != want {
			t.Errorf("%s: accepted %v, want %v", u, got, want)
		}
	}
}

func TestValidPKCEValue(t *testing.T) {
	cases := map[string]bool{
		strings.Repeat("a", 43):       true,
		strings.Repeat("a", 128):      true,
		strings.Repeat("a", 42):       false,
		strings.Repeat("a", 129):      false,
		strings.Repeat("a", 42) + "~": true,
		strings.Repeat("a", 42) + "+": false,
		strings.Repeat("a", 42) + "=": false,
	}
	for v, want := range cases {
		if validPKCEValue(v) != want {
			t.Errorf("%q: %v", v, !want)
		}
	}
}

func TestSameBase(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"https://ehr.example/fhir/r4", "https://ehr.example/fhir/r4", true},
		{"https://ehr.example/fhir/r4/", "https://ehr.example/fhir/r4", true},
		{"HTTPS://EHR.example/fhir/r4", "https://ehr.example/fhir/r4", true},
		{"https://ehr.example/fhir/R4", "https://ehr.example/fhir/r4", false},
		{"https://ehr.example/fhir", "https://ehr.example/fhir/r4", false},
		{"https://evil.example/fhir/r4", "https://ehr.example/fhir/r4", false},
		{"https://ehr.example/fhir/r4?x=1", "https://ehr.example/fhir/r4", false},
		{"https://user@ehr.example/fhir/r4", "https://ehr.example/fhir/r4", false},
	}
	for _, c := range cases {
		if sameBase(c.a, c.b) != c.want {
			t.Errorf("sameBase(%q) = %v", c.a, !c.want)
		}
	}
}

func TestDefaultJWKSClientRefusesInternalAddresses(t *testing.T) {
	ks, _ := jwksServer(t, "", func() string { return "{}" })
	_, err := publicHTTPClient().Get(ks.URL)
	if err == nil || !strings.Contains(err.Error(), "non-public") {
		t.Fatalf("fetch from %s: %v", ks.URL, err)
	}
	for addr, want := range map[string]bool{"8.8.8.8": true, "10.1.2.3": false, "192.168.0.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "::1": false, "fd00::1": false, "2001:4860::8888": true, "0.0.0.0": false} {
		if got := publicAddr(netip.MustParseAddr(addr).Unmap()); got != want {
			t.Errorf("%s public: %v", addr, got)
		}
	}
}
