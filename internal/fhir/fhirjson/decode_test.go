package fhirjson

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emedpractice/emp/internal/errs"
)

// referenceDecode is encoding/json's reading of body, the behaviour Decode
// must agree with wherever it does not choose to be stricter.
func referenceDecode(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, errs.E(errs.Invalid, "trailing data")
	}
	return v, nil
}

// hasDuplicateMember reports whether any object in body repeats a member
// name, which encoding/json accepts (last wins) and Decode refuses.
func hasDuplicateMember(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		obj   bool
		names map[string]bool
		key   bool // the next string token is a member name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: true, names: map[string]bool{}, key: true})
				continue
			case '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
				continue
			}
		case string:
			if top != nil && top.obj && top.key {
				if top.names[t] {
					return true
				}
				top.names[t] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.obj {
			top.key = true
		}
	}
}

func checkAgainstReference(t *testing.T, body []byte) {
	t.Helper()
	got, err := Decode(body)
	want, refErr := referenceDecode(body)
	stricter := !utf8.Valid(body) || hasDuplicateMember(body)
	switch {
	case err != nil && errs.KindOf(err) != errs.Invalid:
		t.Fatalf("Decode(%q): error of kind %v, want Invalid: %v", body, errs.KindOf(err), err)
	case refErr != nil && err == nil:
		t.Fatalf("Decode(%q) accepted what encoding/json refuses (%v)", body, refErr)
	case refErr == nil && err != nil:
		_, isObject := want.(map[string]any)
		if strings.Contains(err.Error(), "surrogate") {
			// encoding/json turns a lone surrogate into U+FFFD.
			b, _ := json.Marshal(want)
			stricter = stricter || strings.Contains(string(b), "\ufffd")
		}
		if isObject && !stricter && !strings.Contains(err.Error(), "nested more than") {
			t.Fatalf("Decode(%q) refused valid JSON: %v", body, err)
		}
	case refErr == nil && err == nil:
		if !reflect.DeepEqual(any(got), want) {
			t.Fatalf("Decode(%q) = %#v, encoding/json = %#v", body, got, want)
		}
	}
}

func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	cases := []string{
		`{}`, `{"a":1}`, ` {"a" : [ 1 , 2.50 , -0.0e+10 , true , false , null ] } `,
		`{"s":"plain","e":"q\"b\\s\/n\nr\rt\tb\bf\f","u":"\u00e9\u4e2d\ud83d\ude00"}`,
		`{"a":{"b":{"c":{}}},"d":[[],[{}]]}`,
		`{"n":0}`, `{"n":-1}`, `{"n":1E5}`, `{"n":1e-5}`,
		// Refused by both.
		`{"n":01}`, `{"n":1.}`, `{"n":.5}`, `{"n":+1}`, `{"n":1e}`, `{"n":-}`, `{"n":NaN}`,
		`{"a":tru}`, `{"a":nul}`, `{"a":"\x01"}`, `{"a":"\q"}`, `{"a":"\u12"}`, `{"a":"\uzzzz"}`,
		`{"a":1,}`, `{,}`, `{"a"}`, `{"a":1 "b":2}`, `{a:1}`, `{'a':1}`, `[1,]`, `{"a":[1 2]}`,
		`{"a":1}}`, `{"a":1} x`, `{} {}`, "\ufeff{}", `{"a":"`, `{"a":"\`, `{"a":"\u`, `{"a":[`, `{"a":`,
		// Stricter than encoding/json: duplicates, bad UTF-8, lone surrogates.
		`{"a":1,"a":2}`, `{"x":{"a":1,"a":1}}`, "{\"a\":\"\xff\"}", "{\"\xc3\":1}",
		`{"a":"\ud800"}`, `{"a":"\udc00x"}`, `{"a":"\ud800\u0041"}`,
		// Not objects.
		`[]`, `1`, `"s"`, `null`, ``, `   `,
	}
	for _, c := range cases {
		checkAgainstReference(t, []byte(c))
	}
}

func TestDecodeStrictness(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"a":1,"a":2}`, `member "a" appears twice`},
		{"{\"a\":\"\xff\"}", "not valid UTF-8"},
		{`{"a":"\ud800"}`, "unpaired UTF-16 surrogate"},
		{strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1), "nested more than"},
		{`{"a":1} x`, "unexpected data after"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.body))
		if err == nil || errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%.40q) = %v, want Invalid containing %q", tt.body, err, tt.want)
		}
	}
}

// TestDecodeExamples decodes every JSON file of the validator's test data
// both ways.
func TestDecodeExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "validate", "testdata", "*", "*.json"))
	more, _ := filepath.Glob(filepath.Join("..", "validate", "testdata", "*.json"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Skip("no example files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstReference(t, b)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,{"b":"c\u00e9"}],"d":null}`, `{"a":"\ud83d\ude00"}`, `{"x":-0.1e-3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAgainstReference(t, body)
		// What decodes, encodes to bytes that decode to the same thing.
		obj, err := Decode(body)
		if err != nil {
			return
		}
		out, err := Encode(obj)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(out)
		if err != nil || !reflect.DeepEqual(obj, again) {
			t.Fatalf("Encode(Decode(%q)) = %q does not decode back: %v", body, out, err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	benchDecoder(b, func(body []byte) error { _, err := Decode(body); return err })
}

// BenchmarkDecodeEncodingJSON is the same work done by encoding/json, for
// comparison.
func BenchmarkDecodeEncodingJSON(b *testing.B) {
	benchDecoder(b, func(body []byte) error { _, err := referenceDecode(body); return err })
}

func benchDecoder(b *testing.B, decode func([]byte) error) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if err := decode(benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	obj, err := Decode(benchBody)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(obj); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBody is a vital-signs Observation of the size the store sees.
var benchBody = []byte(`{"resourceType":"Observation","id":"obs-1","meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00.000000Z"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-03-01T10:00:00Z","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80.5,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`)
