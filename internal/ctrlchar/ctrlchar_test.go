package ctrlchar

import (
	"net/url"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	tests := []struct {
		in   string
		want rune
		bad  bool
	}{
		{"plain text", 0, false},
		{"tab\tcr\rlf\n", 0, false},
		{"é ü 日本 ✓ \u00a0 \u2028", 0, false},
		{"nul\x00", 0, true},
		{"bell\a", 7, true},
		{"esc\x1b[31m", 0x1b, true},
		{"vt\v", 0x0b, true},
		{"ff\f", 0x0c, true},
		{"del\x7f", 0x7f, true},
		{"c1 \u0085", 0x85, true},
		{"csi \u009b", 0x9b, true},
		{"nbsp is fine \u00a0 and \u00c2", 0, false},
	}
	for _, tt := range tests {
		r, bad := Find(tt.in)
		if bad != tt.bad || r != tt.want {
			t.Errorf("Find(%q) = %U, %v; want %U, %v", tt.in, r, bad, tt.want, tt.bad)
		}
	}
	// Find agrees with Forbidden over every rune up to U+00FF.
	for r := rune(0); r <= 0xff; r++ {
		_, bad := Find("x" + string(r) + "y")
		if bad != Forbidden(r) {
			t.Errorf("Find and Forbidden disagree on %U", r)
		}
	}
}

func TestValues(t *testing.T) {
	if e := Values(url.Values{"name": {"Smith", "Jones\t"}, "b": {""}}); e != nil {
		t.Fatalf("clean values refused: %v", e)
	}
	e := Values(url.Values{"z": {"a\x00"}, "family": {"ok", "x\x01"}})
	if e == nil || e.Field != "family" || !strings.Contains(e.Message, "U+0001") {
		t.Fatalf("Values = %v", e)
	}
	e = Values(url.Values{"bad\x00name": {"x"}})
	if e == nil || e.Field != `bad\x00name` {
		t.Fatalf("bad name: %v", e)
	}
}

func TestJSON(t *testing.T) {
	tests := []struct {
		body, field string
	}{
		{`{"client_name":"App","redirect_uris":["https://a.example/cb"]}`, ""},
		{`{"client_name":"tab\tand\u00e9"}`, ""},
		{`{"client_name":"A\u0000pp"}`, "client_name"},
		{`{"redirect_uris":["https://ok.example","https://a\u001b.example"]}`, "redirect_uris"},
		{`{"jwks":{"keys":[{"kid":"k\u0085"}]}}`, "kid"},
		{`{"a\u0007b":1}`, `a\ab`},
		{"{\"contacts\":[\"x\u007f\"]}", "contacts"},
		{`not json \u0000`, ""},
	}
	for _, tt := range tests {
		e := JSON([]byte(tt.body))
		switch {
		case tt.field == "" && e != nil:
			t.Errorf("%s refused: %v", tt.body, e)
		case tt.field != "" && (e == nil || e.Field != tt.field):
			t.Errorf("%s: %v; want field %q", tt.body, e, tt.field)
		}
	}
}
