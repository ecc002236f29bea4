package search

import (
	"fmt"
	"math/big"
	"strings"
)

// FHIR decimals are compared exactly, as the text says them, never through
// float64: 0.9 searched means [0.85, 0.95) and 0.95 is outside it, which
// binary floating point cannot say (0.9+0.05 is 0.9500000000000001). Each
// decimal is turned into a key string whose bytewise order is the numeric
// order, and the store compares keys (a TEXT column in both databases,
// compared bytewise).
//
// A key is "2" for zero; for a positive number 0.d1d2…dn × 10^e (d1 ≠ 0,
// dn ≠ 0) it is "3", e+5000 as four digits, and the digits; for a negative
// one "1", 4999-e as four digits, each digit replaced by 9 minus it, and
// "~", which sorts after every digit, so that -0.1 ("…8~") sorts above
// -0.11 ("…88~").

// keyExpOffset shifts the exponent of a key into four digits.
const keyExpOffset = 5000

// decimal is c × 10^-scale, exactly.
type decimal struct {
	c     *big.Int
	scale int
}

// parseDecimal reads a FHIR decimal (or a search number, which may have an
// exponent): an optional sign, digits with an optional fraction, an
// optional exponent. ok is false for anything else.
func parseDecimal(s string) (decimal, bool) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		es := s[i+1:]
		if strings.HasPrefix(es, "+") {
			es = es[1:]
		}
		neg := strings.HasPrefix(es, "-")
		if neg {
			es = es[1:]
		}
		if es == "" || len(es) > 4 || !allDigits(es) {
			return decimal{}, false
		}
		for _, ch := range es {
			exp = exp*10 + int(ch-'0')
		}
		if neg {
			exp = -exp
		}
	}
	sign := ""
	if strings.HasPrefix(mant, "-") || strings.HasPrefix(mant, "+") {
		sign, mant = mant[:1], mant[1:]
	}
	whole, frac, hasDot := strings.Cut(mant, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return decimal{}, false
	}
	c, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok {
		return decimal{}, false
	}
	if sign == "-" {
		c.Neg(c)
	}
	return decimal{c: c, scale: len(frac) - exp}, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// precisionRange is the range the decimal's implicit precision gives it:
// half a unit of its last digit either side ("0.9" is [0.85, 0.95)).
func (d decimal) precisionRange() (lo, hi decimal) {
	ten := new(big.Int).Mul(d.c, big.NewInt(10))
	lo = decimal{c: new(big.Int).Sub(ten, big.NewInt(5)), scale: d.scale + 1}
	hi = decimal{c: new(big.Int).Add(ten, big.NewInt(5)), scale: d.scale + 1}
	return lo, hi
}

// approxRange is [d - |d|/10, d + |d|/10], the ap prefix's 10 %.
func (d decimal) approxRange() (lo, hi decimal) {
	ten := new(big.Int).Mul(d.c, big.NewInt(10))
	abs := new(big.Int).Abs(d.c)
	lo = decimal{c: new(big.Int).Sub(ten, abs), scale: d.scale + 1}
	hi = decimal{c: new(big.Int).Add(ten, abs), scale: d.scale + 1}
	return lo, hi
}

// key is the order-preserving key of d; ok is false when its exponent is
// outside what four digits hold (no FHIR decimal is).
func (d decimal) key() (string, bool) {
	if d.c.Sign() == 0 {
		return "2", true
	}
	digits := new(big.Int).Abs(d.c).String()
	scale := d.scale
	trimmed := strings.TrimRight(digits, "0")
	scale -= len(digits) - len(trimmed)
	digits = trimmed
	e := len(digits) - scale // d = 0.digits × 10^e
	if e <= -keyExpOffset || e >= keyExpOffset {
		return "", false
	}
	if d.c.Sign() > 0 {
		return fmt.Sprintf("3%04d%s", e+keyExpOffset, digits), true
	}
	comp := []byte(digits)
	for i, ch := range comp {
		comp[i] = '9' - ch + '0'
	}
	return fmt.Sprintf("1%04d%s~", keyExpOffset-1-e, comp), true
}

// DecimalKey is the order-preserving key of the decimal s, for storing a
// resource's value; ok is false when s is not a decimal.
func DecimalKey(s string) (string, bool) {
	d, ok := parseDecimal(s)
	if !ok {
		return "", false
	}
	return d.key()
}

// ExactRange is a searched number as keys: the value, the range its
// precision implies, and the ap prefix's range (both ends included).
type ExactRange struct {
	Key, Low, High string
	ApLow, ApHigh  string
}

// exactRange computes the keys of a searched number s.
func exactRange(s string) (ExactRange, bool) {
	d, ok := parseDecimal(s)
	if !ok {
		return ExactRange{}, false
	}
	lo, hi := d.precisionRange()
	alo, ahi := d.approxRange()
	var r ExactRange
	for _, x := range []struct {
		dst *string
		d   decimal
	}{{&r.Key, d}, {&r.Low, lo}, {&r.High, hi}, {&r.ApLow, alo}, {&r.ApHigh, ahi}} {
		k, ok := x.d.key()
		if !ok {
			return ExactRange{}, false
		}
		*x.dst = k
	}
	return r, true
}
