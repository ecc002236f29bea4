package spec

// ImplicitSystem returns the code system of the elements a token parameter
// indexes when they are of type code bound (required) to a value set of
// one code system, and "" otherwise: Patient gender's is
// http://hl7.org/fhir/administrative-gender. Such elements carry no system
// in the resource, yet a search may name it.
func ImplicitSystem(p *SearchParam) string { return implicitByParam[p] }

// implicitByParam is implicitSystems keyed by the parameters themselves,
// built once from the generated tables and never changed.
var implicitByParam = func() map[*SearchParam]string {
	m := map[*SearchParam]string{}
	for t, ps := range searchParams {
		for _, p := range ps {
			if sys, ok := implicitSystems[t+"."+p.Code]; ok {
				m[p] = sys
			}
		}
	}
	return m
}()
