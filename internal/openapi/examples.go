package openapi

import (
	"reflect"
	"strconv"
)

// fieldExample is an example value for a record field that recurs across
// the API, by JSON name, so that Swagger UI's "Try it out" starts
// from a body the server accepts (dates as Y-m-d, sex from its list, …)
// rather than from the word "string" in every field.
func fieldExample(name string) (string, bool) {
	switch name {
	case "fname":
		return "Ada", true
	case "mname":
		return "", true
	case "lname":
		return "Lovelace", true
	case "DOB":
		return "1815-12-10", true
	case "sex":
		return "Female", true
	case "street":
		return "12 St James's Square", true
	case "city":
		return "Boston", true
	case "state":
		return "MA", true
	case "postal_code":
		return "02108", true
	case "zip":
		return "02108", true
	case "country_code":
		return "US", true
	case "phone_home":
		return "617-555-0100", true
	case "phone_biz":
		return "617-555-0101", true
	case "phone_cell":
		return "617-555-0102", true
	case "phone":
		return "617-555-0103", true
	case "email":
		return "ada@example.org", true
	case "date":
		return "2024-03-01", true
	case "begdate":
		return "2024-03-01", true
	case "enddate":
		return "", true
	case "npi":
		return "1234567893", true
	case "uuid":
		return "019ca945-0a0a-7b6c-8c7d-0e1f2a3b4c5d", true
	case "puuid":
		return "019ca945-0a0a-7b6c-8c7d-0e1f2a3b4c5d", true
	case "reason":
		return "Annual check-up", true
	case "pc_eventDate":
		return "2024-03-01", true
	case "pc_startTime":
		return "09:30", true
	}
	return "", false
}

// exampleFor is the example of a field: its `example` tag (converted to
// the field's kind) if it has one, else the table's value for a string
// field, else none.
func exampleFor(name string, f reflect.StructField) (any, bool) {
	if tag, ok := f.Tag.Lookup("example"); ok {
		switch f.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if n, err := strconv.ParseInt(tag, 10, 64); err == nil {
				return n, true
			}
		case reflect.Bool:
			if b, err := strconv.ParseBool(tag); err == nil {
				return b, true
			}
		case reflect.String:
			return tag, true
		}
		return nil, false
	}
	if f.Type.Kind() != reflect.String {
		return nil, false
	}
	ex, ok := fieldExample(name)
	return ex, ok
}
