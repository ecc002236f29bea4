package scope

import "testing"

// FuzzParse checks that whatever Parse accepts it gives back unchanged, so a
// granted scope is answered exactly as it was asked.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
		"user/*.read", "system/*.$export", "user/soap_note.write", "openid", "patient/Observation.sr", "user/Patient.*",
		"patient/Observation.s?code=%7C1234&status=final",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			return
		}
		if s.String() != in {
			t.Fatalf("Parse(%q).String() = %q", in, s.String())
		}
		if !s.Covers(s) {
			t.Fatalf("%q does not cover itself", in)
		}
	})
}
