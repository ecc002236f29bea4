package search

import (
	"math"
	"strconv"
	"strings"
)

// NumberRange parses a FHIR decimal and returns its value with the range
// its precision implies: "1.0" is 1 within [0.95, 1.05), "100" within
// [99.5, 100.5), "1e2" within [50, 150). ok is false when s is not a number.
func NumberRange(s string) (value, low, high float64, ok bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, 0, 0, false
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return 0, 0, 0, false
		}
		exp = e
	}
	decimals := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		decimals = len(mant) - i - 1
	}
	half := 0.5 * math.Pow10(exp-decimals)
	return v, v - half, v + half, true
}
