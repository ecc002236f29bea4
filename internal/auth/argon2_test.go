package auth

import (
	"strings"
	"testing"
)

func TestArgon2id(t *testing.T) {
	h := Argon2id{Memory: 64, Time: 1}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash = %s", hash)
	}
	for _, tt := range []struct {
		password string
		ok       bool
	}{{"correct horse", true}, {"correct horse ", false}, {"", false}} {
		ok, err := h.Verify(hash, tt.password)
		if err != nil || ok != tt.ok {
			t.Errorf("Verify(%q) = %v, %v; want %v", tt.password, ok, err, tt.ok)
		}
	}
	// PBKDF2 hashes made earlier still verify.
	old, err := PBKDF2{Iterations: 1000}.Hash("legacy")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(old, "legacy"); !ok || err != nil {
		t.Errorf("PBKDF2 hash through Argon2id.Verify: %v %v", ok, err)
	}
	for _, bad := range []string{
		"", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ", "$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
	} {
		if _, err := h.Verify(bad, "x"); err == nil {
			t.Errorf("Verify accepted malformed hash %q", bad)
		}
	}
}
