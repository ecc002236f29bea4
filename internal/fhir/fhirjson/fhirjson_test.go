package fhirjson

import (
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
)

func TestDecodeRejects(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"empty", "", "empty"},
		{"array", `[1]`, "JSON object"},
		{"truncated", `{"a":`, "unexpected end"},
		{"garbage", `{"a" 1}`, "malformed JSON at byte"},
		{"two values", `{} {}`, "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body))
			if err == nil || errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode(%q) = %v, want Invalid containing %q", tt.body, err, tt.want)
			}
		})
	}
}

func TestRoundTripKeepsDecimalsAndOrder(t *testing.T) {
	in := `{"value":1.50,"meta":{"versionId":"1"},"id":"x","resourceType":"Observation","text":"a<b & \"c\"\n","list":[true,null,{"resourceType":"Patient","b":1,"id":"p"}]}`
	obj, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Encode(obj)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Observation","id":"x","meta":{"versionId":"1"},"list":[true,null,{"resourceType":"Patient","id":"p","b":1}],"text":"a<b & \"c\"\n","value":1.50}`
	if string(out) != want {
		t.Fatalf("Encode:\n got %s\nwant %s", out, want)
	}
}
