package validate

// Matchers for date, dateTime, instant and time. They follow the
// specification's regexes and add what a regex cannot: the day must exist in
// its month ("Dates SHALL be valid dates"), so 2024-02-30 is refused while
// 2024-02-29 is not.

func num2(s string) (int, bool) {
	if len(s) < 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// scanDate reads YYYY, YYYY-MM or YYYY-MM-DD at the start of s and returns
// the bytes read and the number of parts; the caller rejects what is left
// over, so a bad month or day simply ends the date early.
func scanDate(s string) (n, parts int, ok bool) {
	if len(s) < 4 || !isDigits(s[:4]) || s[:4] == "0000" {
		return 0, 0, false
	}
	year := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	if len(s) < 7 || s[4] != '-' {
		return 4, 1, true
	}
	month, ok := num2(s[5:])
	if !ok || month < 1 || month > 12 {
		return 4, 1, true
	}
	if len(s) < 10 || s[7] != '-' {
		return 7, 2, true
	}
	day, ok := num2(s[8:])
	if !ok || day < 1 || day > daysIn(year, month) {
		return 7, 2, true
	}
	return 10, 3, true
}

// scanTime reads hh:mm:ss with an optional fraction at the start of s.
func scanTime(s string) (int, bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, false
	}
	h, ok1 := num2(s)
	m, ok2 := num2(s[3:])
	sec, ok3 := num2(s[6:])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return 0, false
	}
	n := 8
	if n < len(s) && s[n] == '.' {
		i := n + 1
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i > n+1 {
			n = i
		}
	}
	return n, true
}

// isZone is Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00).
func isZone(s string) bool {
	if s == "Z" {
		return true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	h, ok1 := num2(s[1:])
	m, ok2 := num2(s[4:])
	return ok1 && ok2 && (h <= 13 && m <= 59 || h == 14 && m == 0)
}

func isDate(s string) bool {
	n, _, ok := scanDate(s)
	return ok && n == len(s)
}

func isDateTime(s string) bool {
	n, parts, ok := scanDate(s)
	if !ok {
		return false
	}
	if n == len(s) {
		return true
	}
	return parts == 3 && s[n] == 'T' && isTimeZoned(s[n+1:])
}

func isInstant(s string) bool {
	n, parts, ok := scanDate(s)
	return ok && parts == 3 && n < len(s) && s[n] == 'T' && isTimeZoned(s[n+1:])
}

func isTimeZoned(s string) bool {
	n, ok := scanTime(s)
	return ok && isZone(s[n:])
}

func isTime(s string) bool {
	n, ok := scanTime(s)
	return ok && n == len(s)
}
