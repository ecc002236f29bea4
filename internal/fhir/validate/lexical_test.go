package validate

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The hand-written matchers must accept exactly what the specification's
// regex accepts, plus the rules a regex cannot state (non-blank strings, real
// calendar days). Each is run against its regex over tricky samples, random
// strings from the characters that matter for the type, and random edits of
// valid values (which land near the boundary far more often than noise).

type matcherCase struct {
	id      typeID
	alpha   string   // characters random strings are made of
	samples []string // valid and nearly valid values, also the seeds for edits
	extra   func(string) bool
	fast    func(string) bool
}

func realDay(s string) bool {
	if len(s) < 10 {
		return true
	}
	_, err := time.Parse("2006-01-02", s[:10])
	return err == nil
}

func notBlank(s string) bool { return strings.Trim(s, " \t\n\r\f\v") != "" }

func TestMatchersAgreeWithSpecRegexes(t *testing.T) {
	str := func(id typeID) func(string) bool { return func(s string) bool { return s != "" && validString(id, s) } }
	num := func(id typeID) func(string) bool { return func(s string) bool { return validNumber(id, s) } }
	dates := []string{"2024", "2024-02", "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0000", "0001", "0010", "0100", "1000",
		"2024-13", "2024-00", "2024-01-00", "2024-01-32", "2024-04-31", "2024-1", "2024-01-1", "20240101", "2024-01-01T"}
	times := []string{"00:00:00", "23:59:60", "24:00:00", "12:60:00", "12:00:61", "12:00", "12:00:00.", "12:00:00.5", "12:00:00.123456", "1:00:00"}
	zones := []string{"Z", "+00:00", "-13:59", "+14:00", "+14:01", "+15:00", "-1:00", "z", "+0000", ""}
	var dateTimes, instants []string
	for _, d := range []string{"2024-02-29", "2023-02-28", "2023-02-29", "2024-12-31"} {
		for _, tm := range times {
			for _, z := range zones {
				dateTimes = append(dateTimes, d+"T"+tm+z)
			}
		}
	}
	instants = append(instants, dateTimes...)
	dateTimes = append(dateTimes, dates...)
	cases := []matcherCase{
		{tString, " a\t\n\r\f\v\xff", []string{"a", " a ", "\t", "\v", "a\fb", "é", "\xff", " \n "}, notBlank, str(tString)},
		{tMarkdown, " a\t\n\r\f\v*", []string{"# a", " ", "a\f"}, notBlank, str(tMarkdown)},
		{tCode, " a\t\n\r\f\v-", []string{"a", "a b", "a  b", " a", "a ", "a\tb", "a\t\tb", "é"}, nil, str(tCode)},
		{tUri, " a:/\t\n\r\f\v", []string{"http://x", "a b", "urn:x", "é"}, nil, str(tUri)},
		{tUrl, " a:/\t\n\f", []string{"http://x"}, nil, str(tUrl)},
		{tCanonical, " a|\t\n", []string{"http://x|1.0"}, nil, str(tCanonical)},
		{tId, "aZ9-._ é", []string{"a", strings.Repeat("a", 64), strings.Repeat("a", 65), "a.b-C", "a_b", "a b"}, nil, str(tId)},
		{tDate, "0123456789-T:Z+ ", dates, realDay, str(tDate)},
		{tDateTime, "0123456789-T:Z+. ", dateTimes, realDay, str(tDateTime)},
		{tInstant, "0123456789-T:Z+.", instants, realDay, str(tInstant)},
		{tTime, "0123456789:.", times, nil, str(tTime)},
		{tBase64Binary, "aZ09+/= \t\n.", []string{"QUJD", "QUJD RA==", " QUJD ", "QUJDRA==", "QUJ DRA==", "QUJ", "    ", "QUJD\n\nRA==\n", "QU.D"}, nil, str(tBase64Binary)},
		{tDecimal, "0123456789-.eE+", []string{"0", "-0", "01", "1.", ".5", "1.5", "1e5", "1E+5", "1e", "-", "1.5e-3", "00", "-01"}, nil, num(tDecimal)},
		{tInteger, "0123456789-.e", []string{"0", "-0", "01", "-1", "10", "1.0", "-", "--1"}, nil, num(tInteger)},
		{tPositiveInt, "0123456789-.", []string{"1", "0", "01", "10", "-1"}, nil, num(tPositiveInt)},
		{tUnsignedInt, "0123456789-.", []string{"0", "00", "01", "10", "-0"}, nil, num(tUnsignedInt)},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		re := regexes[c.id]
		if re == nil {
			t.Fatalf("%s has no regex", types[c.id].name)
		}
		oracle := func(s string) bool {
			return re.MatchString(s) && (c.extra == nil || c.extra(s))
		}
		try := func(s string) {
			if s == "" && types[c.id].json == jsonString {
				return // empty strings are refused before any matcher runs
			}
			if got, want := c.fast(s), oracle(s); got != want {
				t.Errorf("%s %q: matcher says %v, spec regex %v", types[c.id].name, s, got, want)
			}
		}
		for _, s := range c.samples {
			try(s)
		}
		for range 20000 {
			n := rng.IntN(12)
			b := make([]byte, n)
			for i := range b {
				b[i] = c.alpha[rng.IntN(len(c.alpha))]
			}
			try(string(b))
			seed := []byte(c.samples[rng.IntN(len(c.samples))])
			for range 1 + rng.IntN(2) {
				seed = edit(rng, seed, c.alpha)
			}
			try(string(seed))
		}
	}
}

// edit replaces, inserts or deletes one byte.
func edit(rng *rand.Rand, s []byte, alpha string) []byte {
	c := alpha[rng.IntN(len(alpha))]
	switch i := rng.IntN(len(s) + 1); rng.IntN(3) {
	case 0:
		if i < len(s) {
			s[i] = c
		}
	case 1:
		s = append(s[:i], append([]byte{c}, s[i:]...)...)
	default:
		if i < len(s) {
			s = append(s[:i], s[i+1:]...)
		}
	}
	return s
}

func TestXHTMLDiv(t *testing.T) {
	for s, want := range map[string]bool{
		`<div>x</div>`: true, ` <div xmlns="http://www.w3.org/1999/xhtml">x</div>` + "\n": true, `<div/>`: true,
		`<p>x</p>`: false, `<divx>x</divx>`: false, `x<div>y</div>`: false, `<div>x`: false, `<div`: false,
	} {
		if got := isXHTMLDiv(s); got != want {
			t.Errorf("isXHTMLDiv(%q) = %v", s, got)
		}
	}
}
