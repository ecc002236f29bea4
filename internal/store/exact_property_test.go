package store_test

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSearchMatchesReference compares the store's answers with a small
// reference implementation of R4's matching rules, written independently of
// the engine (exact rationals for decimals, the prefix table for ranges),
// over random Observations and RiskAssessments and random queries: number
// and quantity searches at their implicit precision and with every prefix,
// quantity units with and without a system, dates and Periods of every
// precision with every prefix but ap (which depends on the clock), and
// tokens of code elements with their implicit system. The seed is fixed;
// the sizes keep it to a second or two.
func TestSearchMatchesReference(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		rng := rand.New(rand.NewSource(16))
		var obs []refObs
		var items []store.ImportItem
		for i := 0; i < 80; i++ {
			o := randObs(rng, fmt.Sprintf("o%02d", i))
			obs = append(obs, o)
			items = append(items, store.ImportItem{Type: o.typ, ID: o.id, Resource: obj(t, o.body)})
		}
		if err := s.Import(ctx, items); err != nil {
			t.Fatal(err)
		}
		prefixes := []string{"", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}
		matched := 0
		for i := 0; i < 400; i++ {
			var rtype, name, value string
			var match func(o *refObs) bool
			switch i % 4 {
			case 0, 1:
				rtype, name = "Observation", "value-quantity"
				pre := prefixes[rng.Intn(len(prefixes))]
				num := queryDecimal(rng, obs)
				value = pre + num
				unit := ""
				switch rng.Intn(4) {
				case 1:
					unit = []string{"mg", "%"}[rng.Intn(2)]
					value += "||" + unit
				case 2:
					unit = []string{"mg", "%"}[rng.Intn(2)]
					value += "|" + unitSystem + "|" + unit
				case 3:
					unit = []string{"mg", "%"}[rng.Intn(2)]
					value += "|" + unit
				}
				sys := strings.Contains(value, "|"+unitSystem+"|")
				match = func(o *refObs) bool {
					if o.typ != "Observation" || o.qty == "" || !numberMatch(pre, num, o.qty) {
						return false
					}
					switch {
					case unit == "":
						return true
					case sys:
						return o.qtySystem == unitSystem && o.qtyCode == unit
					}
					return o.qtyCode == unit || o.qtyUnit == unit
				}
			case 2:
				rtype, name = "Observation", "date"
				pre := prefixes[rng.Intn(len(prefixes)-1)] // not ap
				d := randDate(rng)
				value = pre + d
				ql, qh, _ := search.DateRange(d)
				match = func(o *refObs) bool {
					return o.typ == "Observation" && o.hasDate && dateMatch(pre, o.dLo, o.dHi, ql, qh)
				}
			case 3:
				if rng.Intn(2) == 0 {
					rtype, name = "RiskAssessment", "probability"
					pre := prefixes[rng.Intn(len(prefixes))]
					num := queryDecimal(rng, obs)
					value = pre + num
					match = func(o *refObs) bool {
						return o.typ == "RiskAssessment" && numberMatch(pre, num, o.qty)
					}
				} else {
					rtype, name = "Observation", "status"
					code := statuses[rng.Intn(len(statuses))]
					system := []string{"", obsStatusSystem + "|", "http://example.org/other|", "|"}[rng.Intn(4)]
					value = system + code
					match = func(o *refObs) bool {
						if o.typ != "Observation" || o.status != code {
							return false
						}
						// The element has no system property (so |code
						// matches, as R4 words it), and its binding's
						// system is implied; no other matches.
						return system != "http://example.org/other|"
					}
				}
			}
			q, err := search.Parse(rtype, url.Values{name: {value}, "_count": {"1000"}}, search.Options{})
			if err != nil {
				t.Fatalf("%s?%s=%s: %v", rtype, name, value, err)
			}
			res, err := s.Search(ctx, q)
			if err != nil {
				t.Fatalf("%s?%s=%s: %v", rtype, name, value, err)
			}
			got := sortedIDs(res)
			var want []string
			for j := range obs {
				if match(&obs[j]) {
					want = append(want, obs[j].id)
				}
			}
			sort.Strings(want)
			if w := strings.Join(want, ","); got != w {
				t.Errorf("%s?%s=%s:\n got  %s\n want %s", rtype, name, value, got, w)
			}
			if len(want) > 0 {
				matched++
			}
		}
		if matched < 150 {
			t.Errorf("only %d of 400 queries matched anything: the generator is too sparse to test", matched)
		}
	})
}

const (
	unitSystem      = "http://unitsofmeasure.org"
	obsStatusSystem = "http://hl7.org/fhir/observation-status"
)

var statuses = []string{"final", "amended", "preliminary"}

// refObs is what the reference implementation knows of a resource.
type refObs struct {
	typ, id, body                    string
	qty, qtySystem, qtyCode, qtyUnit string
	status                           string
	hasDate                          bool
	dLo, dHi                         int64
}

func randDecimal(rng *rand.Rand) string {
	whole := []string{"0", "1", "36", "100", "-2", "98"}[rng.Intn(6)]
	n := rng.Intn(4)
	if n == 0 {
		return whole
	}
	frac := make([]byte, n)
	for i := range frac {
		frac[i] = "0123455559"[rng.Intn(10)]
	}
	return whole + "." + string(frac)
}

// queryDecimal is a stored value with its last digit dropped (so that the
// stored values sit on the edges of its precision range), the stored value
// itself, or a fresh one.
func queryDecimal(rng *rand.Rand, obs []refObs) string {
	o := obs[rng.Intn(len(obs))]
	switch rng.Intn(3) {
	case 0:
		if o.qty != "" && strings.Contains(o.qty, ".") {
			d := o.qty[:len(o.qty)-1]
			return strings.TrimSuffix(d, ".")
		}
	case 1:
		if o.qty != "" {
			return o.qty
		}
	}
	return randDecimal(rng)
}

func randDate(rng *rand.Rand) string {
	y := 2020 + rng.Intn(2)
	m := 1 + rng.Intn(2)
	d := 1 + rng.Intn(2)
	switch rng.Intn(4) {
	case 0:
		return fmt.Sprint(y)
	case 1:
		return fmt.Sprintf("%d-%02d", y, m)
	case 2:
		return fmt.Sprintf("%d-%02d-%02d", y, m, d)
	}
	return fmt.Sprintf("%d-%02d-%02dT%02d:00:00Z", y, m, d, rng.Intn(24))
}

func randObs(rng *rand.Rand, id string) refObs {
	o := refObs{id: id, qty: randDecimal(rng)}
	if rng.Intn(5) == 0 {
		o.typ = "RiskAssessment"
		o.body = fmt.Sprintf(`{"resourceType":"RiskAssessment","id":%q,"status":"final","subject":{"reference":"Patient/p"},"prediction":[{"probabilityDecimal":%s}]}`, id, o.qty)
		return o
	}
	o.typ = "Observation"
	o.status = statuses[rng.Intn(len(statuses))]
	fields := []string{fmt.Sprintf(`"status":%q`, o.status), `"code":{"text":"x"}`}
	q := []string{`"value":` + o.qty}
	if rng.Intn(2) == 0 {
		o.qtySystem = unitSystem
		q = append(q, fmt.Sprintf(`"system":%q`, unitSystem))
	}
	if rng.Intn(3) > 0 {
		o.qtyCode = []string{"mg", "%"}[rng.Intn(2)]
		q = append(q, fmt.Sprintf(`"code":%q`, o.qtyCode))
	}
	if rng.Intn(2) == 0 {
		o.qtyUnit = []string{"mg", "%", "milligram"}[rng.Intn(3)]
		q = append(q, fmt.Sprintf(`"unit":%q`, o.qtyUnit))
	}
	if rng.Intn(6) == 0 {
		o.qty = "" // no value
		q = q[1:]
	}
	fields = append(fields, `"valueQuantity":{`+strings.Join(q, ",")+`}`)
	switch rng.Intn(3) {
	case 0:
		d := randDate(rng)
		o.hasDate = true
		o.dLo, o.dHi, _ = search.DateRange(d)
		fields = append(fields, fmt.Sprintf(`"effectiveDateTime":%q`, d))
	case 1:
		var p []string
		o.dLo, o.dHi = math.MinInt64, math.MaxInt64
		if rng.Intn(4) > 0 {
			d := randDate(rng)
			o.dLo, _, _ = search.DateRange(d)
			p = append(p, fmt.Sprintf(`"start":%q`, d))
		}
		if rng.Intn(4) > 0 {
			d := randDate(rng)
			_, o.dHi, _ = search.DateRange(d)
			if o.dHi < o.dLo { // keep start <= end
				o.dHi = math.MaxInt64
			} else {
				p = append(p, fmt.Sprintf(`"end":%q`, d))
			}
		}
		if len(p) > 0 {
			o.hasDate = true
			fields = append(fields, `"effectivePeriod":{`+strings.Join(p, ",")+`}`)
		}
	}
	o.body = fmt.Sprintf(`{"resourceType":"Observation","id":%q,%s}`, id, strings.Join(fields, ","))
	return o
}

// rat reads a decimal exactly.
func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad decimal " + s)
	}
	return r
}

// numberMatch is R4's number rule: eq and ne against the range the
// searched value's precision implies (half a unit of its last digit either
// side, lower end included), the other prefixes against the value exactly,
// ap within 10 %.
func numberMatch(prefix, q, stored string) bool {
	x, v := rat(stored), rat(q)
	mant := q
	exp := 0
	if i := strings.IndexAny(q, "eE"); i >= 0 {
		mant = q[:i]
		fmt.Sscan(q[i+1:], &exp)
	}
	decimals := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		decimals = len(mant) - i - 1
	}
	half := new(big.Rat).SetFrac(big.NewInt(1), big.NewInt(2))
	half.Mul(half, pow10(exp-decimals))
	lo, hi := new(big.Rat).Sub(v, half), new(big.Rat).Add(v, half)
	in := x.Cmp(lo) >= 0 && x.Cmp(hi) < 0
	switch prefix {
	case "ne":
		return !in
	case "gt", "sa":
		return x.Cmp(v) > 0
	case "lt", "eb":
		return x.Cmp(v) < 0
	case "ge":
		return x.Cmp(v) >= 0
	case "le":
		return x.Cmp(v) <= 0
	case "ap":
		d := new(big.Rat).Abs(v)
		d.Mul(d, big.NewRat(1, 10))
		return x.Cmp(new(big.Rat).Sub(v, d)) >= 0 && x.Cmp(new(big.Rat).Add(v, d)) <= 0
	}
	return in
}

func pow10(e int) *big.Rat {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil)
	if e < 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), p)
	}
	return new(big.Rat).SetInt(p)
}

func abs(e int) int {
	if e < 0 {
		return -e
	}
	return e
}

// dateMatch is R4's prefix table for ranges, the target [lo, hi] against
// the searched [ql, qh].
func dateMatch(prefix string, lo, hi, ql, qh int64) bool {
	contained := lo >= ql && hi <= qh
	switch prefix {
	case "ne":
		return !contained
	case "gt":
		return hi > qh
	case "lt":
		return lo < ql
	case "ge":
		return hi > qh || contained
	case "le":
		return lo < ql || contained
	case "sa":
		return lo > qh
	case "eb":
		return hi < ql
	}
	return contained
}
