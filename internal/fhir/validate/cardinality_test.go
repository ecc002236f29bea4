package validate

import "testing"

func TestRepeats(t *testing.T) {
	for _, c := range []struct {
		rtype    string
		path     []string
		many, ok bool
	}{
		{"Patient", []string{"name"}, true, true},
		{"Patient", []string{"name", "given"}, true, true},
		{"Patient", []string{"name", "family"}, false, true},
		{"Patient", []string{"gender"}, false, true},
		{"Observation", []string{"code", "coding"}, true, true},
		{"Patient", []string{"nonsense"}, false, false},
		{"Nope", []string{"name"}, false, false},
	} {
		many, ok := Repeats(c.rtype, c.path)
		if many != c.many || ok != c.ok {
			t.Errorf("Repeats(%s, %v) = %v, %v; want %v, %v", c.rtype, c.path, many, ok, c.many, c.ok)
		}
	}
}
