package search

import (
	"fmt"
	"math/big"
	"math/rand"
	"strings"
	"testing"
)

// TestDecimalKeyOrder: the keys of random decimals (signs, exponents,
// trailing zeros) sort bytewise exactly as the numbers do, and equal
// numbers written differently (1.50, 1.5, 15e-1) get one key.
func TestDecimalKeyOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var texts []string
	for i := 0; i < 2000; i++ {
		s := fmt.Sprint(rng.Intn(2000))
		if rng.Intn(2) == 0 {
			s += "." + fmt.Sprint(rng.Intn(1000))
			s += strings.Repeat("0", rng.Intn(3))
		}
		if rng.Intn(4) == 0 {
			s += fmt.Sprintf("e%d", rng.Intn(41)-20)
		}
		if rng.Intn(3) == 0 {
			s = "-" + s
		}
		texts = append(texts, s)
	}
	texts = append(texts, "0", "-0", "0.000", "1.50", "1.5", "15e-1", "-0.1", "-0.11", "-0.2", "-0.19")
	for i := 0; i < len(texts); i++ {
		a := texts[i]
		b := texts[rng.Intn(len(texts))]
		ka, ok1 := DecimalKey(a)
		kb, ok2 := DecimalKey(b)
		ra, _ := new(big.Rat).SetString(a)
		rb, _ := new(big.Rat).SetString(b)
		if !ok1 || !ok2 {
			t.Fatalf("no key for %s or %s", a, b)
		}
		if got, want := strings.Compare(ka, kb), ra.Cmp(rb); got != want {
			t.Errorf("%s (%s) vs %s (%s): keys compare %d, numbers %d", a, ka, b, kb, got, want)
		}
	}
	for _, bad := range []string{"", "1.", ".5", "1e", "1e99999", "x", "1.2.3", "--1"} {
		if _, ok := DecimalKey(bad); ok {
			t.Errorf("DecimalKey(%q) accepted", bad)
		}
	}
}

// TestExactRange: the implicit precision ranges are exact.
func TestExactRange(t *testing.T) {
	key := func(s string) string { k, _ := DecimalKey(s); return k }
	for _, c := range []struct{ in, lo, hi string }{
		{"0.9", "0.85", "0.95"},
		{"36.7", "36.65", "36.75"},
		{"100", "99.5", "100.5"},
		{"1e2", "50", "150"},
		{"-2.0", "-2.05", "-1.95"},
		{"5.40e-3", "0.005395", "0.005405"},
	} {
		r, ok := exactRange(c.in)
		if !ok || r.Low != key(c.lo) || r.High != key(c.hi) || r.Key != key(c.in) {
			t.Errorf("%s: %+v, want [%s, %s)", c.in, r, c.lo, c.hi)
		}
	}
}
