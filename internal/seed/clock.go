package seed

// Time inside the generator is plain integers: days since 1970-01-01 for
// dates and Unix seconds (UTC) for date-times. They are cheap to add and
// compare, and formatting them by hand is several times faster than
// time.Time.AppendFormat, which matters at millions of resources.

const daySeconds = 86400

// floorDiv divides rounding toward minus infinity: birth dates before 1970
// are negative.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil converts a day number to a calendar date (proleptic Gregorian), by
// Howard Hinnant's days-to-civil algorithm.
func civil(day int) (y, m, d int) {
	z := day + 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// dayOf is the day number of a calendar date (the inverse of civil).
func dayOf(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dayOfSec is the day number a Unix time falls on.
func dayOfSec(t int64) int { return int(floorDiv(t, daySeconds)) }

// ageAt is a person's age in whole years on a day.
func ageAt(birth, day int) int {
	by, bm, bd := civil(birth)
	y, m, d := civil(day)
	a := y - by
	if m < bm || (m == bm && d < bd) {
		a--
	}
	return a
}

// addYears moves a day by whole calendar years (29 February becomes
// 1 March in common years).
func addYears(day, years int) int {
	y, m, d := civil(day)
	if m == 2 && d == 29 {
		m, d = 3, 1
	}
	return dayOf(y+years, m, d)
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func appendYear(b []byte, y int) []byte {
	return append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
}

// appendDate writes a FHIR date, YYYY-MM-DD.
func appendDate(b []byte, day int) []byte {
	y, m, d := civil(day)
	b = appendYear(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

// appendDateTime writes a FHIR dateTime/instant in UTC with seconds, which
// is valid for both types.
func appendDateTime(b []byte, t int64) []byte {
	day := floorDiv(t, daySeconds)
	s := int(t - day*daySeconds)
	b = appendDate(b, int(day))
	b = append(b, 'T')
	b = append2(b, s/3600)
	b = append(b, ':')
	b = append2(b, s/60%60)
	b = append(b, ':')
	b = append2(b, s%60)
	return append(b, 'Z')
}

// date and dateTime write date members.
func (w *jw) date(k string, day int) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = appendDate(w.b, day)
	w.b = append(w.b, '"')
}

func (w *jw) dateTime(k string, t int64) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = appendDateTime(w.b, t)
	w.b = append(w.b, '"')
}

// period writes a Period; an end of 0 means still open.
func (w *jw) period(k string, start, end int64) {
	w.obj(k)
	w.dateTime("start", start)
	if end != 0 {
		w.dateTime("end", end)
	}
	w.end()
}

// noDay marks an absent date (day numbers before 1970 are negative).
const noDay = -1 << 31

// periodDays writes a Period of whole dates; an end of noDay means open.
func (w *jw) periodDays(k string, start, end int) {
	w.obj(k)
	w.date("start", start)
	if end != noDay {
		w.date("end", end)
	}
	w.end()
}
