package fhirpath

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Quantity is a FHIRPath quantity: an exact value and a UCUM unit or a
// calendar duration keyword (year … millisecond).
type Quantity struct {
	value Decimal
	unit  string
}

func (q Quantity) String() string { return q.value.String() + " '" + q.unit + "'" }

// calendarUnits maps the calendar duration keywords to UCUM. Weeks and
// shorter are fixed lengths and compare with their UCUM units; a calendar
// year or month is not 'a' or 'mo' (those are mean lengths).
var calendarUnits = map[string]string{
	"year": "year", "years": "year", "month": "month", "months": "month",
	"week": "wk", "weeks": "wk", "day": "d", "days": "d", "hour": "h", "hours": "h",
	"minute": "min", "minutes": "min", "second": "s", "seconds": "s",
	"millisecond": "ms", "milliseconds": "ms",
}

// ucumAtoms are the UCUM units the engine converts, in base units: grams,
// metres, seconds. Other units are their own dimension, so they compare only
// with themselves.
var ucumAtoms = map[string]struct {
	factor string
	dims   string
}{
	"g": {"1", "g"}, "m": {"1", "m"}, "s": {"1", "s"}, "min": {"60", "s"}, "h": {"3600", "s"},
	"d": {"86400", "s"}, "wk": {"604800", "s"}, "mo": {"2629800", "s"}, "a": {"31557600", "s"},
	"L": {"1/1000", "m3"}, "l": {"1/1000", "m3"}, "[lb_av]": {"45359237/100000", "g"},
	"[oz_av]": {"28349523125/1000000000", "g"}, "[in_i]": {"254/10000", "m"}, "[ft_i]": {"3048/10000", "m"},
	"1": {"1", ""}, "%": {"1/100", ""}, "mol": {"1", "mol"},
}

var ucumPrefixes = map[byte]string{
	'k': "1000", 'h': "100", 'd': "1/10", 'c': "1/100", 'm': "1/1000", 'u': "1/1000000",
	'n': "1/1000000000", 'p': "1/1000000000000", 'M': "1000000", 'G': "1000000000",
}

// canonical is a unit reduced to base units: a factor and the exponents of
// each base dimension.
type canonical struct {
	factor *big.Rat
	dims   map[string]int
}

func (c canonical) key() string {
	names := make([]string, 0, len(c.dims))
	for n, e := range c.dims {
		if e != 0 {
			names = append(names, n+strconv.Itoa(e))
		}
	}
	sort.Strings(names)
	return strings.Join(names, ".")
}

// parseUnit reduces a UCUM unit ("mg", "g/m", "cm.s-2", "{beats}/min").
func parseUnit(u string) (canonical, bool) {
	c := canonical{factor: big.NewRat(1, 1), dims: map[string]int{}}
	if cu, ok := calendarUnits[u]; ok {
		u = cu
		if u == "year" || u == "month" {
			c.dims[u] = 1
			return c, true
		}
	}
	sign := 1
	for len(u) > 0 {
		end := strings.IndexAny(u, "./")
		term := u
		if end >= 0 {
			term = u[:end]
		}
		if !c.term(term, sign) {
			return c, false
		}
		if end < 0 {
			break
		}
		sign = 1
		if u[end] == '/' {
			sign = -1 // UCUM is read left to right: / applies to the next term
		}
		u = u[end+1:]
	}
	return c, true
}

func (c *canonical) term(t string, sign int) bool {
	// Annotations are dimensionless: {beats}/min is per minute.
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return false
		}
		t = t[:i] + t[i+j+1:]
	}
	if t == "" {
		return true
	}
	exp := 1
	if i := strings.LastIndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '-' || r == '+') }); i >= 0 && i < len(t)-1 && t != "1" {
		e, err := strconv.Atoi(t[i+1:])
		if err != nil {
			return false
		}
		exp, t = e, t[:i+1]
	}
	exp *= sign
	factor, dims, ok := atom(t)
	if !ok {
		// An unknown unit is its own dimension.
		factor, dims = "1", t
	}
	f, _ := new(big.Rat).SetString(factor)
	for i := 0; i < abs(exp); i++ {
		if exp > 0 {
			c.factor.Mul(c.factor, f)
		} else {
			c.factor.Quo(c.factor, f)
		}
	}
	if dims != "" {
		n, e := dims, 1
		if len(n) > 1 && n[len(n)-1] == '3' {
			n, e = n[:len(n)-1], 3
		}
		c.dims[n] += e * exp
	}
	return true
}

func atom(t string) (factor, dims string, ok bool) {
	if a, ok := ucumAtoms[t]; ok {
		return a.factor, a.dims, true
	}
	if len(t) > 1 {
		if p, ok := ucumPrefixes[t[0]]; ok {
			if a, ok := ucumAtoms[t[1:]]; ok && a.dims != "" && t[1:] != "min" {
				f, _ := new(big.Rat).SetString(p)
				af, _ := new(big.Rat).SetString(a.factor)
				return f.Mul(f, af).RatString(), a.dims, true
			}
		}
	}
	return "", "", false
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// toBase gives the value of q in base units and the key of its dimension.
func (q Quantity) toBase() (*big.Rat, string, bool) {
	c, ok := parseUnit(q.unit)
	if !ok {
		return nil, "", false
	}
	return new(big.Rat).Mul(q.value.r, c.factor), c.key(), true
}

// compareQuantity orders two quantities after converting both to base
// units; ok is false when their units are not comparable.
func compareQuantity(a, b Quantity) (int, bool) {
	if a.unit == b.unit {
		return a.value.cmp(b.value), true
	}
	av, ak, ok1 := a.toBase()
	bv, bk, ok2 := b.toBase()
	if !ok1 || !ok2 || ak != bk {
		return 0, false
	}
	return av.Cmp(bv), true
}

// mulQuantity multiplies or divides two quantities, giving the result in
// base units.
func mulQuantity(a, b Quantity, divide bool) (Quantity, bool) {
	ca, ok1 := parseUnit(a.unit)
	cb, ok2 := parseUnit(b.unit)
	if !ok1 || !ok2 {
		return Quantity{}, false
	}
	va := new(big.Rat).Mul(a.value.r, ca.factor)
	vb := new(big.Rat).Mul(b.value.r, cb.factor)
	dims := map[string]int{}
	for n, e := range ca.dims {
		dims[n] += e
	}
	for n, e := range cb.dims {
		if divide {
			dims[n] -= e
		} else {
			dims[n] += e
		}
	}
	var v Decimal
	if divide {
		d, ok := Decimal{r: va, scale: a.value.scale}.div(Decimal{r: vb, scale: b.value.scale})
		if !ok {
			return Quantity{}, false
		}
		v = d
	} else {
		v = Decimal{r: new(big.Rat).Mul(va, vb), scale: a.value.scale + b.value.scale}
	}
	unit := canonical{dims: dims}.key()
	if unit == "" {
		unit = "1"
	}
	return Quantity{value: v, unit: unit}, true
}
