package api

import (
	"net/mail"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emedpractice/emp/internal/errs"
)

// check is one validation rule on one field, as the original API's
// validators define them: required on create, a length range, and a format.
type check struct {
	field    string
	label    string // the human name in messages ("First Name")
	required bool
	min, max int // length in characters; 0 = no bound
	format   format
	oneOf    []string // allowed values (a list such as sex or apptstat)
	fold     bool     // oneOf matches without regard to case ("male" is "Male")
	// text marks words (a name, a street, a note): a JSON number or
	// boolean there is a client's mistake, not a value (typeErrors).
	text bool
}

type format uint8

const (
	anyText  format = iota
	dateYMD         // Y-m-d
	dateTime        // Y-m-d H:i:s, or Y-m-d
	numeric
	email
	webURL
	clockHM // HH:MM
)

// validateFields applies the checks to the body. On create, required fields must
// be present and not empty; on update nothing is required, but what is
// present must be valid. Every failing field is reported.
func validateFields(f fields, checks []check, create bool) errs.Multi {
	var out errs.Multi
	for _, ck := range checks {
		v, present := f[ck.field]
		label := ck.label
		if label == "" {
			label = ck.field
		}
		if !present || v == "" {
			if ck.required && (create || present) {
				out = append(out, fieldErr(ck.field, "required", "%s must be provided", label))
			}
			continue
		}
		if e := ck.test(v, label); e != nil {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func (ck check) test(v, label string) *errs.Error {
	n := utf8.RuneCountInString(v)
	if ck.min > 0 && n < ck.min {
		return fieldErr(ck.field, "length", "%s must be at least %d characters long", label, ck.min)
	}
	if ck.max > 0 && n > ck.max {
		return fieldErr(ck.field, "length", "%s must be at most %d characters long", label, ck.max)
	}
	switch ck.format {
	case dateYMD:
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return fieldErr(ck.field, "date", "%s must be a date as Y-m-d, not %q", label, v)
		}
	case dateTime:
		if !isDateTime(v) {
			return fieldErr(ck.field, "datetime", "%s must be a date as Y-m-d or Y-m-d H:i:s, not %q", label, v)
		}
	case numeric:
		if !isNumber(v) {
			return fieldErr(ck.field, "numeric", "%s must be a number, not %q", label, v)
		}
	case email:
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return fieldErr(ck.field, "email", "%s must be an email address, not %q", label, v)
		}
	case webURL:
		if u, err := url.Parse(v); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fieldErr(ck.field, "url", "%s must be an http or https URL", label)
		}
	case clockHM:
		if _, err := time.Parse("15:04", v); err != nil || len(v) != 5 {
			return fieldErr(ck.field, "time", "%s must be a time as HH:MM, not %q", label, v)
		}
	}
	if len(ck.oneOf) > 0 {
		for _, o := range ck.oneOf {
			if v == o || (ck.fold && strings.EqualFold(v, o)) {
				return nil
			}
		}
		return fieldErr(ck.field, "list", "%s must be one of %v, not %q", label, ck.oneOf, v)
	}
	return nil
}

// isNumber accepts a decimal number as JSON writes one: an optional minus,
// digits, an optional fraction and exponent. strconv.ParseFloat alone would
// also take "NaN", "Inf" and hexadecimal floats, which no field means.
func isNumber(v string) bool {
	i, n := 0, len(v)
	digits := func() bool {
		from := i
		for i < n && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		return i > from
	}
	if i < n && v[i] == '-' {
		i++
	}
	if !digits() {
		return false
	}
	if i < n && v[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < n && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < n && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == n
}

// isDateTime accepts Y-m-d and Y-m-d H:i:s.
func isDateTime(v string) bool {
	if _, err := time.Parse("2006-01-02", v); err == nil {
		return true
	}
	_, err := time.Parse("2006-01-02 15:04:05", v)
	return err == nil
}

// fhirDateTime turns an API date (Y-m-d or Y-m-d H:i:s) into a FHIR date
// or dateTime; times are taken as UTC.
func fhirDateTime(v string) string {
	if t, err := time.Parse("2006-01-02 15:04:05", v); err == nil {
		return t.UTC().Format(time.RFC3339)
	}
	return v
}

// apiDateTime turns a FHIR dateTime into Y-m-d H:i:s (UTC), and keeps a
// bare date as it is.
func apiDateTime(v string) string {
	if len(v) <= 10 {
		return v
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return v
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
