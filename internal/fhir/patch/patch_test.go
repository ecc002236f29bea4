package patch

import (
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
)

const patient = `{"resourceType":"Patient","id":"p","active":true,"name":[{"use":"official","family":"Doe","given":["Jane","Q"]},{"use":"nickname","given":["JJ"]}],"a/b":1,"m~n":2}`

func decode(t *testing.T, s string) fhirjson.Object {
	t.Helper()
	o, err := fhirjson.Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func encode(t *testing.T, o fhirjson.Object) string {
	t.Helper()
	b, err := fhirjson.Encode(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJSONPatch(t *testing.T) {
	for _, c := range []struct {
		name, patch, want string
		kind              errs.Kind
	}{
		{"add member", `[{"op":"add","path":"/gender","value":"female"}]`, `"gender":"female"`, 0},
		{"add to array end", `[{"op":"add","path":"/name/0/given/-","value":"Z"}]`, `"given":["Jane","Q","Z"]`, 0},
		{"insert into array", `[{"op":"add","path":"/name/0/given/0","value":"Z"}]`, `"given":["Z","Jane","Q"]`, 0},
		{"remove", `[{"op":"remove","path":"/name/1"}]`, `"name":[{"family":"Doe","given":["Jane","Q"],"use":"official"}]`, 0},
		{"replace", `[{"op":"replace","path":"/active","value":false}]`, `"active":false`, 0},
		{"move", `[{"op":"move","from":"/name/0/family","path":"/name/1/family"}]`, `[{"given":["Jane","Q"],"use":"official"},{"family":"Doe","given":["JJ"],"use":"nickname"}]`, 0},
		{"copy", `[{"op":"copy","from":"/name/0/given/1","path":"/name/1/given/-"}]`, `"given":["JJ","Q"]`, 0},
		{"test passes", `[{"op":"test","path":"/name/0/family","value":"Doe"},{"op":"add","path":"/gender","value":"male"}]`, `"gender":"male"`, 0},
		{"escaped slash", `[{"op":"replace","path":"/a~1b","value":3}]`, `"a/b":3`, 0},
		{"escaped tilde", `[{"op":"remove","path":"/m~0n"}]`, `"active":true,"name"`, 0},
		{"test number by value", `[{"op":"test","path":"/a~1b","value":1.0}]`, `"a/b":1`, 0},
		{"test fails", `[{"op":"test","path":"/name/0/family","value":"Roe"}]`, "", errs.Conflict},
		{"remove missing", `[{"op":"remove","path":"/gender"}]`, "", errs.Invalid},
		{"replace missing", `[{"op":"replace","path":"/gender","value":"x"}]`, "", errs.Invalid},
		{"index out of range", `[{"op":"add","path":"/name/5","value":{}}]`, "", errs.Invalid},
		{"leading zero index", `[{"op":"remove","path":"/name/01"}]`, "", errs.Invalid},
		{"bad escape", `[{"op":"remove","path":"/a~2"}]`, "", errs.Invalid},
		{"unknown op", `[{"op":"frob","path":"/a"}]`, "", errs.Invalid},
		{"move into itself", `[{"op":"move","from":"/name","path":"/name/0"}]`, "", errs.Invalid},
		{"not an array", `{"op":"add"}`, "", errs.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := decode(t, patient)
			out, err := JSON(doc, []byte(c.patch))
			if c.want == "" {
				if err == nil || errs.KindOf(err) != c.kind {
					t.Fatalf("err = %v, want kind %v", err, c.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := encode(t, out); !contains(got, c.want) {
				t.Errorf("got %s, want it to hold %s", got, c.want)
			}
			if encode(t, doc) != encode(t, decode(t, patient)) {
				t.Errorf("the input was changed")
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func op(parts string) string {
	return `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[` + parts + `]}]}`
}

func TestFHIRPathPatch(t *testing.T) {
	for _, c := range []struct {
		name, params, want string
		fail               bool
	}{
		{"add a single element", op(`{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"birthDate"},{"name":"value","valueDate":"1970-01-02"}`), `"birthDate":"1970-01-02"`, false},
		{"add to a list", op(`{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient.name.where(use='official')"},{"name":"name","valueString":"given"},{"name":"value","valueString":"Z"}`), `"given":["Jane","Q","Z"]`, false},
		{"add a complex value by parts", op(`{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"telecom"},{"name":"value","part":[{"name":"system","valueCode":"phone"},{"name":"value","valueString":"555"}]}`), `"telecom":[{"system":"phone","value":"555"}]`, false},
		{"add where a single value exists", op(`{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"active"},{"name":"value","valueBoolean":false}`), "", true},
		{"add an unknown element", op(`{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"colour"},{"name":"value","valueString":"x"}`), "", true},
		{"insert", op(`{"name":"type","valueCode":"insert"},{"name":"path","valueString":"Patient.name[0].given"},{"name":"index","valueInteger":1},{"name":"value","valueString":"Z"}`), `"given":["Jane","Z","Q"]`, false},
		{"replace by index", op(`{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.name[1].given[0]"},{"name":"value","valueString":"J"}`), `"given":["J"]`, false},
		{"replace first()", op(`{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.name.first().family"},{"name":"value","valueString":"Roe"}`), `"family":"Roe"`, false},
		{"replace ambiguous", op(`{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.name.given"},{"name":"value","valueString":"J"}`), "", true},
		{"delete where", op(`{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Patient.name.where(use = 'nickname' and given = 'JJ')"}`), `"name":[{"family":"Doe","given":["Jane","Q"],"use":"official"}]`, false},
		{"delete nothing", op(`{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Patient.birthDate"}`), `"active":true`, false},
		{"delete not equal", op(`{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Patient.name.where(use != 'official')"}`), `"name":[{"family":"Doe","given":["Jane","Q"],"use":"official"}]`, false},
		{"move", op(`{"name":"type","valueCode":"move"},{"name":"path","valueString":"Patient.name[0].given"},{"name":"source","valueInteger":0},{"name":"destination","valueInteger":1}`), `"given":["Q","Jane"]`, false},
		{"move beyond", op(`{"name":"type","valueCode":"move"},{"name":"path","valueString":"Patient.name[0].given"},{"name":"source","valueInteger":0},{"name":"destination","valueInteger":2}`), "", true},
		{"other type", op(`{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Observation.code"}`), "", true},
		{"unsupported function", op(`{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Patient.name.exists()"}`), "", true},
		{"unknown type", op(`{"name":"type","valueCode":"frob"},{"name":"path","valueString":"Patient"}`), "", true},
		{"not Parameters", `{"resourceType":"Patient"}`, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := FHIRPath("Patient", decode(t, patient), decode(t, c.params))
			if c.fail {
				if err == nil || errs.KindOf(err) != errs.Invalid {
					t.Fatalf("err = %v, want Invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := encode(t, out); !contains(got, c.want) {
				t.Errorf("got %s, want it to hold %s", got, c.want)
			}
		})
	}
}
