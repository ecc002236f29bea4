package fhirjson

import (
	"fmt"
	"testing"
)

func TestFollow(t *testing.T) {
	res, err := Decode([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"id":"a"}},{"resource":{"id":"b"}},{"fullUrl":"x"}],` +
		`"item":[{"answer":[{"v":1},{"v":2}]},{"answer":{"v":3}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		names []string
		want  string
	}{
		{[]string{"entry", "resource", "id"}, "[a b]"},
		{[]string{"item", "answer", "v"}, "[1 2 3]"},
		{[]string{"entry", "missing"}, "[]"},
		{[]string{"resourceType", "deeper"}, "[]"},
		{nil, fmt.Sprint([]any{res})},
	} {
		if got := fmt.Sprint(Follow(res, c.names...)); got != c.want {
			t.Errorf("Follow(%v) = %s, want %s", c.names, got, c.want)
		}
	}
}
