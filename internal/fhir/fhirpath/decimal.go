package fhirpath

import (
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact decimal: FHIR decimals keep their written precision
// (1.10 has two decimal places) and arithmetic on them must not go through
// binary floating point, where 0.1+0.2 is not 0.3.
type Decimal struct {
	r     *big.Rat
	scale int // digits after the point, as written or as computed
}

// divisionScale is how many decimal places a quotient keeps: FHIRPath asks
// for at least eight.
const divisionScale = 8

func parseDecimal(s string) (Decimal, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Decimal{}, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" {
		return Decimal{}, false
	}
	mant, exp, hasExp := strings.Cut(strings.ToLower(body), "e")
	intPart, frac, hasPoint := strings.Cut(mant, ".")
	if intPart == "" || (hasPoint && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return Decimal{}, false
	}
	if hasExp && (exp == "" || !allDigits(strings.TrimLeft(exp, "+-"))) {
		return Decimal{}, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Decimal{}, false
	}
	scale := len(frac)
	if hasExp {
		var e int
		fmt.Sscan(exp, &e)
		scale -= e
		if scale < 0 {
			scale = 0
		}
	}
	return Decimal{r: r, scale: scale}, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func decFromInt(i int64) Decimal { return Decimal{r: new(big.Rat).SetInt64(i)} }

func (d Decimal) String() string {
	if d.scale <= 0 {
		if d.r.IsInt() {
			return d.r.Num().String()
		}
		return strings.TrimRight(strings.TrimRight(d.r.FloatString(divisionScale), "0"), ".")
	}
	return d.r.FloatString(d.scale)
}

func (d Decimal) cmp(e Decimal) int { return d.r.Cmp(e.r) }

func (d Decimal) add(e Decimal) Decimal {
	return Decimal{r: new(big.Rat).Add(d.r, e.r), scale: max(d.scale, e.scale)}
}
func (d Decimal) sub(e Decimal) Decimal {
	return Decimal{r: new(big.Rat).Sub(d.r, e.r), scale: max(d.scale, e.scale)}
}
func (d Decimal) mul(e Decimal) Decimal {
	return Decimal{r: new(big.Rat).Mul(d.r, e.r), scale: d.scale + e.scale}
}

// div divides, rounding to divisionScale places; false for a zero divisor.
func (d Decimal) div(e Decimal) (Decimal, bool) {
	if e.r.Sign() == 0 {
		return Decimal{}, false
	}
	q := Decimal{r: new(big.Rat).Quo(d.r, e.r), scale: divisionScale}
	return q.round(divisionScale).trim(max(d.scale, e.scale)), true
}

// trim drops trailing zero places down to at least min places.
func (d Decimal) trim(min int) Decimal {
	for d.scale > min {
		s := d.r.FloatString(d.scale)
		if s[len(s)-1] != '0' {
			break
		}
		d.scale--
	}
	return d
}

// round rounds half away from zero to n places.
func (d Decimal) round(n int) Decimal {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	x := new(big.Rat).Mul(d.r, new(big.Rat).SetInt(scale))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	m.Abs(m).Mul(m, big.NewInt(2))
	if m.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return Decimal{r: new(big.Rat).SetFrac(q, scale), scale: n}
}

// floor, ceiling and truncate give integers.
func (d Decimal) floor() *big.Int {
	q, m := new(big.Int).DivMod(d.r.Num(), d.r.Denom(), new(big.Int))
	_ = m
	return q // DivMod is Euclidean: with a positive divisor it floors
}
func (d Decimal) ceiling() *big.Int {
	f := d.floor()
	if !d.r.IsInt() {
		f.Add(f, big.NewInt(1))
	}
	return f
}
func (d Decimal) truncate() *big.Int { return new(big.Int).Quo(d.r.Num(), d.r.Denom()) }

func (d Decimal) float() float64 { f, _ := d.r.Float64(); return f }

func (d Decimal) neg() Decimal { return Decimal{r: new(big.Rat).Neg(d.r), scale: d.scale} }

func decFromFloat(f float64) (Decimal, bool) {
	r := new(big.Rat)
	if r.SetFloat64(f) == nil {
		return Decimal{}, false
	}
	return Decimal{r: r, scale: divisionScale}.round(divisionScale).trim(1), true
}
