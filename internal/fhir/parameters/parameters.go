// Package parameters reads the Parameters resource an operation is invoked
// with by POST ($export, $docref) into the same shape as a query string, so
// an operation handles GET and POST with one code path.
package parameters

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/emedpractice/emp/internal/errs"
)

// parameter is one Parameters.parameter with the value types operations
// take; exactly one value is expected.
type parameter struct {
	Name          string  `json:"name"`
	ValueString   *string `json:"valueString"`
	ValueCode     *string `json:"valueCode"`
	ValueID       *string `json:"valueId"`
	ValueURI      *string `json:"valueUri"`
	ValueDate     *string `json:"valueDate"`
	ValueDateTime *string `json:"valueDateTime"`
	ValueInstant  *string `json:"valueInstant"`
	ValueBoolean  *bool   `json:"valueBoolean"`
	ValueInteger  *int64  `json:"valueInteger"`
	ValueCoding   *struct {
		System string `json:"system"`
		Code   string `json:"code"`
	} `json:"valueCoding"`
	ValueReference *struct {
		Reference string `json:"reference"`
	} `json:"valueReference"`
}

// Values decodes a Parameters resource into name → values, in the order
// given: a Coding as "system|code", a Reference as its reference, other
// values as their JSON text. Errors name what is wrong (Invalid).
func Values(body []byte) (url.Values, error) {
	var p struct {
		ResourceType string      `json:"resourceType"`
		Parameter    []parameter `json:"parameter"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, errs.Field("Parameters", "the body is not valid JSON")
	}
	if p.ResourceType != "Parameters" {
		return nil, errs.Field("resourceType", "the body must be a Parameters resource")
	}
	out := url.Values{}
	for i, x := range p.Parameter {
		if x.Name == "" {
			return nil, errs.Field("Parameters.parameter.name", "every parameter needs a name")
		}
		v, ok := x.value()
		if !ok {
			return nil, errs.Field(fmt.Sprintf("Parameters.parameter[%d]", i), "%s has no value of a supported type", x.Name)
		}
		out.Add(x.Name, v)
	}
	return out, nil
}

func (x parameter) value() (string, bool) {
	for _, s := range []*string{x.ValueString, x.ValueCode, x.ValueID, x.ValueURI, x.ValueDate, x.ValueDateTime, x.ValueInstant} {
		if s != nil {
			return *s, true
		}
	}
	switch {
	case x.ValueBoolean != nil:
		return strconv.FormatBool(*x.ValueBoolean), true
	case x.ValueInteger != nil:
		return strconv.FormatInt(*x.ValueInteger, 10), true
	case x.ValueCoding != nil:
		return x.ValueCoding.System + "|" + x.ValueCoding.Code, true
	case x.ValueReference != nil:
		return x.ValueReference.Reference, true
	}
	return "", false
}
