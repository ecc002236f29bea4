package auth

import (
	"bytes"
	"strings"
	"testing"
)

// TestIDNeverStartsWithDashOrUnderscore draws ids from sources whose first
// byte encodes to each base64url character, the two that would start an id
// with '-' or '_' included.
func TestIDNeverStartsWithDashOrUnderscore(t *testing.T) {
	for first := 0; first < 64; first++ {
		src := &randSource{r: bytes.NewReader(bytes.Repeat([]byte{byte(first << 2)}, idBytes))}
		id, err := src.id()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(id, "-") || strings.HasPrefix(id, "_") {
			t.Errorf("byte %#x: id %q starts with %q", first<<2, id, id[:1])
		}
		if len(id) != 22 {
			t.Errorf("byte %#x: id %q is %d characters, want 22", first<<2, id, len(id))
		}
	}
}
