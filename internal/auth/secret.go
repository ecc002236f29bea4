package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"sync"
)

// secretBytes is the entropy of every secret the server hands out (client
// secrets, codes, refresh tokens, launch values, session cookies): 256 bits,
// so the SHA-256 kept at rest needs no salt and no slow hash.
const secretBytes = 32

// idBytes is the entropy of identifiers that are not secrets but must not be
// guessable either (client ids, grant and interaction ids).
const idBytes = 16

// randSource serialises reads from an io.Reader that need not be safe for
// concurrent use.
type randSource struct {
	mu sync.Mutex
	r  io.Reader
}

// token returns n random bytes, base64url without padding: only URL-safe
// characters, since some clients do not encode codes and tokens.
func (s *randSource) token(n int) (string, error) {
	b := make([]byte, n)
	s.mu.Lock()
	_, err := io.ReadFull(s.r, b)
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *randSource) secret() (string, error) { return s.token(secretBytes) }

// id draws an identifier (a client, user or grant id) that never starts
// with '-' or '_': an id starting with '-' reads as a flag when an
// operator types it after an emp command, and as a formula when a
// spreadsheet opens an export of the audit log. The first character is
// mapped to a letter, which costs those ids under one bit of their 128.
func (s *randSource) id() (string, error) {
	v, err := s.token(idBytes)
	if err != nil {
		return "", err
	}
	switch v[0] {
	case '-':
		v = "x" + v[1:]
	case '_':
		v = "y" + v[1:]
	}
	return v, nil
}

// HashSecret is what the store keeps of a secret: the base64url SHA-256.
// The operator's tools use it to look up a value they were given.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// secretMatches reports in constant time whether secret hashes to hash.
func secretMatches(hash, secret string) bool {
	if hash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(HashSecret(secret))) == 1
}

// pkceS256 is the S256 code challenge of a verifier (RFC 7636 4.2).
func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validPKCEValue reports whether s is a well-formed code_verifier or S256
// code_challenge: 43 to 128 unreserved characters (RFC 7636 4.1).
func validPKCEValue(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.' || c == '_' || c == '~':
		default:
			return false
		}
	}
	return true
}
