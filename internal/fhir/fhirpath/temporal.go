package fhirpath

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Temporal is a FHIRPath Date, DateTime or Time with its precision: a date
// written to the month is not the first of that month, so comparing it with
// a day can be unknowable (an empty result) rather than true or false.
type Temporal struct {
	form tempForm
	prec precision // the last component present
	// Components; unused ones are zero. ms is meaningful with precSecond
	// (seconds and milliseconds are one precision in FHIRPath).
	y, mo, d, h, mi, s, ms int
	msDigits               int  // digits of the fraction as written
	tz                     bool // a zone offset was given
	off                    int  // zone offset in minutes
}

type tempForm uint8

const (
	kDate tempForm = iota + 1
	kDateTime
	kTime
)

type precision uint8

const (
	pYear precision = iota + 1
	pMonth
	pDay
	pHour
	pMinute
	pSecond
)

// parseTemporal reads the text of a date, dateTime or time (FHIR's lexical
// forms, also FHIRPath literals without the @). want restricts the form: a
// FHIR date element holds only dates.
func parseTemporal(s string, want tempForm) (Temporal, bool) {
	var t Temporal
	if want == kTime || (want == 0 && strings.HasPrefix(s, "T")) {
		t.form = kTime
		s = strings.TrimPrefix(s, "T")
		return t, t.parseTime(s, pHour) && !t.tz
	}
	datePart, timePart, hasT := strings.Cut(s, "T")
	parts := strings.Split(datePart, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return t, false
	}
	fields := []*int{&t.y, &t.mo, &t.d}
	for i, p := range parts {
		if (i > 0 && len(p) != 2) || !allDigits(p) || p == "" {
			return t, false
		}
		*fields[i], _ = strconv.Atoi(p)
		t.prec = precision(i + 1)
	}
	if t.mo > 12 || (t.prec >= pMonth && t.mo < 1) || t.d > 31 || (t.prec >= pDay && t.d < 1) {
		return t, false
	}
	switch {
	case want == kDate && hasT:
		return t, false
	case !hasT:
		t.form = kDate
		if want == kDateTime {
			t.form = kDateTime
		}
		if want == kDateTime || want == kDate {
			// FHIR's dateTime may hold a bare date; a zone needs a time.
			return t, true
		}
		return t, true
	}
	t.form = kDateTime
	if timePart == "" { // @2015T: a DateTime to the year
		return t, want != kDate
	}
	if t.prec != pDay {
		return t, false
	}
	return t, t.parseTime(timePart, pHour)
}

// parseTime reads hh[:mm[:ss[.fff]]][Z|±hh:mm] into t.
func (t *Temporal) parseTime(s string, first precision) bool {
	if i := strings.IndexAny(s, "Z+-"); i >= 0 {
		zone := s[i:]
		s = s[:i]
		t.tz = true
		if zone != "Z" {
			if len(zone) != 6 || zone[3] != ':' {
				return false
			}
			h, e1 := strconv.Atoi(zone[1:3])
			m, e2 := strconv.Atoi(zone[4:6])
			if e1 != nil || e2 != nil || h > 14 || m > 59 {
				return false
			}
			t.off = h*60 + m
			if zone[0] == '-' {
				t.off = -t.off
			}
		}
	}
	main, frac, hasFrac := strings.Cut(s, ".")
	parts := strings.Split(main, ":")
	if len(parts) > 3 {
		return false
	}
	fields := []*int{&t.h, &t.mi, &t.s}
	limits := []int{23, 59, 60}
	for i, p := range parts {
		if len(p) != 2 || !allDigits(p) {
			return false
		}
		*fields[i], _ = strconv.Atoi(p)
		if *fields[i] > limits[i] {
			return false
		}
		t.prec = first + precision(i)
	}
	if hasFrac {
		if len(parts) != 3 || frac == "" || !allDigits(frac) {
			return false
		}
		t.msDigits = len(frac)
		f := (frac + "000")[:3]
		t.ms, _ = strconv.Atoi(f)
	}
	return true
}

func (t Temporal) String() string {
	var b strings.Builder
	if t.form != kTime {
		fmt.Fprintf(&b, "%04d", t.y)
		if t.prec >= pMonth {
			fmt.Fprintf(&b, "-%02d", t.mo)
		}
		if t.prec >= pDay {
			fmt.Fprintf(&b, "-%02d", t.d)
		}
		if t.prec < pHour {
			return b.String()
		}
		b.WriteByte('T')
	}
	fmt.Fprintf(&b, "%02d", t.h)
	if t.prec >= pMinute {
		fmt.Fprintf(&b, ":%02d", t.mi)
	}
	if t.prec >= pSecond {
		fmt.Fprintf(&b, ":%02d", t.s)
		if t.msDigits > 0 {
			fmt.Fprintf(&b, ".%03d", t.ms)
		}
	}
	if t.tz {
		if t.off == 0 {
			b.WriteByte('Z')
		} else {
			o, sign := t.off, '+'
			if o < 0 {
				o, sign = -o, '-'
			}
			fmt.Fprintf(&b, "%c%02d:%02d", sign, o/60, o%60)
		}
	}
	return b.String()
}

// utc moves a DateTime with a time and a zone to UTC, keeping its precision.
func (t Temporal) utc() Temporal {
	if t.form != kDateTime || !t.tz || t.prec < pHour || t.off == 0 {
		return t
	}
	u := time.Date(t.y, time.Month(t.mo), t.d, t.h, t.mi, t.s, 0, time.UTC).Add(-time.Duration(t.off) * time.Minute)
	t.y, t.mo, t.d, t.h, t.mi, t.s = u.Year(), int(u.Month()), u.Day(), u.Hour(), u.Minute(), u.Second()
	t.off = 0
	return t
}

// compareTemporal orders a and b: -1, 0, 1, or ok false when the answer is
// unknown (different precisions that agree as far as both go, or a zone on
// one side only) or the forms differ.
func compareTemporal(a, b Temporal) (int, bool) {
	if (a.form == kTime) != (b.form == kTime) {
		return 0, false
	}
	if a.prec >= pHour && b.prec >= pHour && a.form != kTime {
		if a.tz != b.tz {
			return 0, false
		}
		a, b = a.utc(), b.utc()
	}
	av := [...]int{a.y, a.mo, a.d, a.h, a.mi, a.s*1000 + a.ms}
	bv := [...]int{b.y, b.mo, b.d, b.h, b.mi, b.s*1000 + b.ms}
	lo := 0
	if a.form == kTime {
		lo = int(pHour) - 1
	}
	minP := min(a.prec, b.prec)
	for i := lo; i < int(minP); i++ {
		if av[i] != bv[i] {
			if av[i] < bv[i] {
				return -1, true
			}
			return 1, true
		}
	}
	if a.prec != b.prec {
		return 0, false
	}
	return 0, true
}

func (t Temporal) typeName() string {
	switch t.form {
	case kDate:
		return "Date"
	case kTime:
		return "Time"
	}
	return "DateTime"
}

// fromTime gives a DateTime to the millisecond (now()) or a Date (today()).
func fromTime(tm time.Time, form tempForm) Temporal {
	_, off := tm.Zone()
	t := Temporal{form: form, y: tm.Year(), mo: int(tm.Month()), d: tm.Day(), prec: pDay}
	if form == kDateTime {
		t.h, t.mi, t.s, t.ms, t.msDigits = tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond()/1e6, 3
		t.prec, t.tz, t.off = pSecond, true, off/60
	}
	return t
}
