// Package fhirjson reads and writes FHIR resources as JSON the way the server
// stores them. Decoding keeps decimals exact (json.Number) because FHIR
// decimal precision is significant; encoding puts resourceType, id and meta
// first so stored bytes read naturally, and is otherwise deterministic.
package fhirjson

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Object is a decoded JSON object: a FHIR resource or element.
type Object = map[string]any

// Encode writes a resource compactly with resourceType, id and meta first and
// the other members in sorted order, so equal resources give equal bytes.
func Encode(res Object) ([]byte, error) {
	return appendObject(make([]byte, 0, 1024), res, true)
}

var leading = [...]string{"resourceType", "id", "meta"}

func appendObject(buf []byte, obj Object, top bool) ([]byte, error) {
	// Most FHIR elements have a handful of members: their names are sorted
	// in an array on the stack.
	var small [16]string
	keys := small[:0]
	for k := range obj {
		if top && (k == "resourceType" || k == "id" || k == "meta") {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	first := true
	var err error
	if top {
		for _, k := range leading {
			if v, ok := obj[k]; ok {
				if buf, err = appendMember(buf, k, v, first); err != nil {
					return nil, err
				}
				first = false
			}
		}
	}
	for _, k := range keys {
		if buf, err = appendMember(buf, k, obj[k], first); err != nil {
			return nil, err
		}
		first = false
	}
	return append(buf, '}'), nil
}

func appendMember(buf []byte, k string, v any, first bool) ([]byte, error) {
	if !first {
		buf = append(buf, ',')
	}
	buf = appendString(buf, k)
	buf = append(buf, ':')
	return appendValue(buf, v)
}

func appendValue(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, x), nil
	case json.Number:
		return append(buf, x...), nil
	case bool:
		if x {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	case map[string]any:
		// Contained and nested resources keep resourceType first too.
		_, isResource := x["resourceType"]
		return appendObject(buf, x, isResource)
	case []any:
		buf = append(buf, '[')
		var err error
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendValue(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("fhirjson: encode %T: %w", v, err)
		}
		return append(buf, b...), nil
	}
}

// appendString writes s as a JSON string. It escapes like encoding/json
// without HTML escaping: FHIR text routinely holds '<' and '&' and the bytes
// are served as JSON, never embedded in HTML.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
