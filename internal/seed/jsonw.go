package seed

import (
	"encoding/base64"
	"strconv"
)

// jw appends compact JSON to a reusable buffer. The generator writes a
// million resources a second at best; building maps or structs for
// encoding/json would cost several times more than the data itself, and
// member order (resourceType then id first) is easiest to keep by hand.
//
// Commas are implied: a value or key gets a comma unless it is the first
// thing after '{', '[' or ':', which the last written byte tells.
type jw struct {
	b []byte
}

func (w *jw) reset() { w.b = w.b[:0] }

// sep writes the comma that separates this value from the previous one.
func (w *jw) sep() {
	if n := len(w.b); n > 0 {
		switch w.b[n-1] {
		case '{', '[', ':':
		default:
			w.b = append(w.b, ',')
		}
	}
}

// key writes `"k":`. Keys are FHIR element names and never need escaping.
func (w *jw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

// obj opens an object member named k; elem opens an anonymous object (an
// array element). end closes either.
func (w *jw) obj(k string) { w.key(k); w.b = append(w.b, '{') }
func (w *jw) elem()        { w.sep(); w.b = append(w.b, '{') }
func (w *jw) end()         { w.b = append(w.b, '}') }

// arr opens an array member named k; endArr closes it. Callers open an
// array only when they have at least one element: FHIR forbids empty arrays.
func (w *jw) arr(k string) { w.key(k); w.b = append(w.b, '[') }
func (w *jw) endArr()      { w.b = append(w.b, ']') }

func (w *jw) str(k, v string) {
	w.key(k)
	w.quote(v)
}

// strElem writes a string array element.
func (w *jw) strElem(v string) {
	w.sep()
	w.quote(v)
}

func (w *jw) int(k string, v int) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
}

func (w *jw) boolean(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

// dec writes a FHIR decimal with a fixed number of fraction digits: the
// digits written are the precision FHIR preserves, so 37.0 stays "37.0".
func (w *jw) dec(k string, v float64, prec int) {
	w.key(k)
	w.b = strconv.AppendFloat(w.b, v, 'f', prec, 64)
}

// base64 writes v base64-encoded as a string member (Attachment.data).
func (w *jw) base64(k string, v []byte) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = base64.StdEncoding.AppendEncode(w.b, v)
	w.b = append(w.b, '"')
}

// quote appends s as a JSON string. Almost no value needs escaping, so the
// common case is a word-at-a-time scan and one append.
func (w *jw) quote(s string) {
	if !needsEscape(s) {
		w.b = append(w.b, '"')
		w.b = append(w.b, s...)
		w.b = append(w.b, '"')
		return
	}
	w.b = append(w.b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
			continue
		}
		w.b = append(w.b, s[start:i]...)
		switch c {
		case '"':
			w.b = append(w.b, '\\', '"')
		case '\\':
			w.b = append(w.b, '\\', '\\')
		case '\n':
			w.b = append(w.b, '\\', 'n')
		case '\t':
			w.b = append(w.b, '\\', 't')
		case '\r':
			w.b = append(w.b, '\\', 'r')
		default:
			const hex = "0123456789abcdef"
			w.b = append(w.b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	w.b = append(w.b, s[start:]...)
	w.b = append(w.b, '"')
}

// needsEscape reports whether s holds a control character, '"', '\\' or
// DEL. It tests eight bytes at a time with the classic SWAR tricks: a byte
// is below 0x20 when subtracting 0x20 borrows into its top bit, and equals
// c when it xors with c to zero.
func needsEscape(s string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		low := (x - 0x20*ones) &^ x
		q := x ^ '"'*ones
		bs := x ^ '\\'*ones
		del := x ^ 0x7f*ones
		if (low|(q-ones)&^q|(bs-ones)&^bs|(del-ones)&^del)&highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
			return true
		}
	}
	return false
}
