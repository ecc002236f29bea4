package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold normalises a string for FHIR string search, which ignores case,
// accents and surrounding white space: "  Ødegård  Åse" folds to
// "odegard ase". Only the standard library is used: Latin letters with
// diacritics are mapped by a table, everything else is lower-cased.
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading space
	for _, r := range s {
		if !ascii {
			if m, ok := foldTable[r]; ok {
				for _, mr := range m {
					b.WriteRune(mr)
				}
				space = false
				continue
			}
			if unicode.Is(unicode.Mn, r) {
				continue // a combining mark: the base letter was written
			}
		}
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimRight(b.String(), " ")
}

// foldTable maps Latin letters with diacritics (Latin-1 Supplement and
// Latin Extended-A) to their base letters.
var foldTable = func() map[rune]string {
	groups := map[string]string{
		"a": "àáâãäåāăąÀÁÂÃÄÅĀĂĄ", "c": "çćĉċčÇĆĈĊČ", "d": "ďđÐĎĐð", "e": "èéêëēĕėęěÈÉÊËĒĔĖĘĚ",
		"g": "ĝğġģĜĞĠĢ", "h": "ĥħĤĦ", "i": "ìíîïĩīĭįıÌÍÎÏĨĪĬĮİ", "j": "ĵĴ", "k": "ķĶ",
		"l": "ĺļľŀłĹĻĽĿŁ", "n": "ñńņňÑŃŅŇ", "o": "òóôõöøōŏőÒÓÔÕÖØŌŎŐ", "r": "ŕŗřŔŖŘ",
		"s": "śŝşšŚŜŞŠ", "t": "ţťŧŢŤŦ", "u": "ùúûüũūŭůűųÙÚÛÜŨŪŬŮŰŲ", "w": "ŵŴ", "y": "ýÿŷÝŸŶ",
		"z": "źżžŹŻŽ", "ss": "ß", "ae": "æÆ", "oe": "œŒ", "th": "þÞ",
	}
	m := map[rune]string{}
	for base, letters := range groups {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()
