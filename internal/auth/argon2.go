package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id hashes passwords with argon2id, memory-hard against GPU and ASIC
// guessing, in the PHC string form
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with OWASP's parameters by default. Verify also accepts PBKDF2 hashes, so
// users created before a switch of hasher keep logging in.
type Argon2id struct {
	// Memory in KiB, Time (passes) and Threads of new hashes; OWASP's
	// 19 MiB, 2 and 1 when zero. Tests lower them.
	Memory  uint32
	Time    uint32
	Threads uint8
	// Rand makes the salts; crypto/rand when nil.
	Rand io.Reader
}

const (
	argon2ID     = "argon2id"
	argon2KeyLen = 32
	// Bounds on what Verify computes, so a planted hash cannot make each
	// login take a gigabyte or minutes.
	maxArgon2Memory = 256 * 1024
	maxArgon2Time   = 16
)

func (a Argon2id) params() (m, t uint32, p uint8) {
	m, t, p = a.Memory, a.Time, a.Threads
	if m == 0 {
		m = 19 * 1024
	}
	if t == 0 {
		t = 2
	}
	if p == 0 {
		p = 1
	}
	return m, t, p
}

// Hash implements PasswordHasher.
func (a Argon2id) Hash(password string) (string, error) {
	m, t, p := a.params()
	r := a.Rand
	if r == nil {
		r = rand.Reader
	}
	salt := make([]byte, 16)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, t, m, p, argon2KeyLen)
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2ID, argon2.Version, m, t, p,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify implements PasswordHasher.
func (a Argon2id) Verify(hash, password string) (bool, error) {
	if strings.HasPrefix(hash, "$"+pbkdf2ID+"$") {
		return PBKDF2{}.Verify(hash, password)
	}
	m, t, p, salt, want, err := parseArgon2(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func parseArgon2(hash string) (m, t uint32, p uint8, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	// "", id, version, params, salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != argon2ID || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return 0, 0, 0, nil, nil, errBadHash
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, 0, 0, nil, nil, errBadHash
		}
		switch k {
		case "m":
			m = uint32(n)
		case "t":
			t = uint32(n)
		case "p":
			if n > 255 {
				return 0, 0, 0, nil, nil, errBadHash
			}
			p = uint8(n)
		default:
			return 0, 0, 0, nil, nil, errBadHash
		}
	}
	if m < 8 || m > maxArgon2Memory || t < 1 || t > maxArgon2Time || p < 1 {
		return 0, 0, 0, nil, nil, errBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return 0, 0, 0, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return 0, 0, 0, nil, nil, errBadHash
	}
	return m, t, p, salt, key, nil
}
