package search

import (
	"math"
	"strconv"
	"time"
)

// DateRange turns a FHIR date, dateTime or instant, at any precision, into
// the closed range of instants it covers, in Unix microseconds UTC: "2024"
// covers the whole year, "2024-03-05T10:00:00Z" the whole second. A value
// without a time zone is taken as UTC. ok is false when s is malformed or
// names an impossible date.
func DateRange(s string) (low, high int64, ok bool) {
	n := len(s)
	switch {
	case n == 4:
		y, ok := digits(s, 0, 4)
		if !ok {
			return 0, 0, false
		}
		lo := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		return span(lo, lo.AddDate(1, 0, 0))
	case n == 7 && s[4] == '-':
		y, ok1 := digits(s, 0, 4)
		m, ok2 := digits(s, 5, 7)
		if !ok1 || !ok2 || m < 1 || m > 12 {
			return 0, 0, false
		}
		lo := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		return span(lo, lo.AddDate(0, 1, 0))
	case n == 10:
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return 0, 0, false
		}
		return span(t, t.AddDate(0, 0, 1))
	case n > 10 && s[10] == 'T':
		return dateTimeRange(s)
	}
	return 0, 0, false
}

func dateTimeRange(s string) (int64, int64, bool) {
	// Split the zone off; FHIR allows Z or ±hh:mm, and searches also send
	// none (taken as UTC).
	body, zone := s, ""
	if s[len(s)-1] == 'Z' {
		body, zone = s[:len(s)-1], "Z"
	} else if i := len(s) - 6; i > 10 && (s[i] == '+' || s[i] == '-') && s[i+3] == ':' {
		body, zone = s[:i], s[i:]
	}
	var layout string
	var unit time.Duration
	switch {
	case len(body) == 16: // 2024-03-05T10:00
		layout, unit = "2006-01-02T15:04", time.Minute
	case len(body) == 19:
		layout, unit = "2006-01-02T15:04:05", time.Second
	case len(body) > 20 && body[19] == '.':
		frac := len(body) - 20
		if frac > 9 {
			return 0, 0, false
		}
		layout = "2006-01-02T15:04:05." + "000000000"[:frac]
		unit = time.Duration(math.Pow10(9 - frac))
	default:
		return 0, 0, false
	}
	loc := time.UTC
	if zone != "" && zone != "Z" {
		h, ok1 := digits(zone, 1, 3)
		m, ok2 := digits(zone, 4, 6)
		if !ok1 || !ok2 || h > 14 || m > 59 {
			return 0, 0, false
		}
		off := h*3600 + m*60
		if zone[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	t, err := time.ParseInLocation(layout, body, loc)
	if err != nil {
		return 0, 0, false
	}
	if unit < time.Microsecond {
		unit = time.Microsecond
	}
	return span(t, t.Add(unit))
}

// span is [lo, next) as a closed range of microseconds.
func span(lo, next time.Time) (int64, int64, bool) {
	return lo.UnixMicro(), next.UnixMicro() - 1, true
}

func digits(s string, from, to int) (int, bool) {
	if to > len(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s[from:to])
	if err != nil || n < 0 {
		return 0, false
	}
	for i := from; i < to; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	return n, true
}
