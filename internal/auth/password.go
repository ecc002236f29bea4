package auth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// PasswordHasher hashes user passwords for the store and checks a password
// against a stored hash. The hash string carries its own parameters, so a
// hasher can verify hashes made with another cost.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches hash. A malformed hash is an
	// error, not a mismatch.
	Verify(hash, password string) (bool, error)
}

// PBKDF2 hashes passwords with PBKDF2-HMAC-SHA256 from the standard library,
// in the PHC string form
//
//	$pbkdf2-sha256$i=600000,l=32$<salt>$<hash>
//
// (salt and hash in unpadded standard base64). The server hashes with
// Argon2id, which also verifies these; PBKDF2 at OWASP's 600,000 iterations
// is the standard-library default of an auth.Server configured without a
// hasher.
type PBKDF2 struct {
	// Iterations of new hashes; DefaultPBKDF2Iterations when zero. Tests
	// lower it.
	Iterations int
	// Rand makes the salts; crypto/rand when nil.
	Rand io.Reader
}

// DefaultPBKDF2Iterations is OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
const DefaultPBKDF2Iterations = 600_000

// maxPBKDF2Iterations bounds what Verify will compute, so a corrupted or
// planted hash cannot make each login burn minutes of CPU.
const maxPBKDF2Iterations = 10_000_000

const (
	pbkdf2ID      = "pbkdf2-sha256"
	pbkdf2SaltLen = 16
	pbkdf2KeyLen  = 32
)

var b64 = base64.RawStdEncoding

// Hash implements PasswordHasher.
func (p PBKDF2) Hash(password string) (string, error) {
	iter := p.Iterations
	if iter <= 0 {
		iter = DefaultPBKDF2Iterations
	}
	r := p.Rand
	if r == nil {
		r = rand.Reader
	}
	salt := make([]byte, pbkdf2SaltLen)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, iter, pbkdf2KeyLen)
	if err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	return fmt.Sprintf("$%s$i=%d,l=%d$%s$%s", pbkdf2ID, iter, pbkdf2KeyLen, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify implements PasswordHasher.
func (p PBKDF2) Verify(hash, password string) (bool, error) {
	iter, salt, want, err := parsePBKDF2(hash)
	if err != nil {
		return false, err
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	if err != nil {
		return false, fmt.Errorf("password hash: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

var errBadHash = errors.New("malformed password hash")

func parsePBKDF2(hash string) (iter int, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	// "", id, params, salt, hash
	if len(parts) != 5 || parts[0] != "" || parts[1] != pbkdf2ID {
		return 0, nil, nil, errBadHash
	}
	keyLen := -1
	for _, kv := range strings.Split(parts[2], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, nil, nil, errBadHash
		}
		switch k {
		case "i":
			iter = n
		case "l":
			keyLen = n
		default:
			return 0, nil, nil, errBadHash
		}
	}
	if iter < 1 || iter > maxPBKDF2Iterations {
		return 0, nil, nil, errBadHash
	}
	if salt, err = b64.DecodeString(parts[3]); err != nil || len(salt) < 8 {
		return 0, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[4]); err != nil || len(key) < 16 || (keyLen >= 0 && keyLen != len(key)) {
		return 0, nil, nil, errBadHash
	}
	return iter, salt, key, nil
}
