package openapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// Schema is the subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it)
// that the document emits. Keeping the subset small keeps the test's
// checker honest: it understands every keyword written here.
type Schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 any                `json:"type,omitempty"` // a name, or a list of names ("null" for a nil pointer)
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AdditionalProperties *Schema            `json:"additionalProperties,omitempty"`
	AnyOf                []*Schema          `json:"anyOf,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Minimum              *int               `json:"minimum,omitempty"`
	Maximum              *int               `json:"maximum,omitempty"`
	Default              any                `json:"default,omitempty"`
	ReadOnly             bool               `json:"readOnly,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
	Example              any                `json:"example,omitempty"`
}

// refPrefix is where named schemas live in the document.
const refPrefix = "#/components/schemas/"

// schemaSet turns Go types into schemas, naming each struct type once under
// components/schemas so that a record used by many routes is described once.
type schemaSet struct {
	named map[string]*Schema
	// owner remembers which Go type holds a name, so that two packages'
	// types with the same name do not overwrite each other.
	owner map[string]reflect.Type
}

func newSchemaSet() *schemaSet {
	return &schemaSet{named: map[string]*Schema{}, owner: map[string]reflect.Type{}}
}

var (
	timeType       = reflect.TypeFor[time.Time]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

// of returns the schema of a value of type t as encoding/json writes it.
func (s *schemaSet) of(t reflect.Type) *Schema {
	switch t {
	case timeType:
		return &Schema{Type: "string", Format: "date-time"}
	case rawMessageType:
		return &Schema{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := s.of(t.Elem())
		if inner.Ref != "" || inner.Type == nil {
			return &Schema{AnyOf: []*Schema{inner, {Type: "null"}}}
		}
		out := *inner
		if name, ok := inner.Type.(string); ok {
			out.Type = []string{name, "null"}
		}
		return &out
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		sc := &Schema{Type: "integer"}
		if t.Size() == 8 {
			sc.Format = "int64"
		} else {
			sc.Format = "int32"
		}
		return sc
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			// encoding/json writes []byte as base64.
			return &Schema{Type: "string", Format: "byte"}
		}
		// A nil slice is written as null.
		return &Schema{Type: []string{"array", "null"}, Items: s.of(t.Elem())}
	case reflect.Map:
		return &Schema{Type: []string{"object", "null"}, AdditionalProperties: s.of(t.Elem())}
	case reflect.Struct:
		return s.named1(t)
	}
	// Interfaces (and anything encoding/json would reject) are open.
	return &Schema{}
}

// named1 describes a struct under its Go name and returns a reference.
func (s *schemaSet) named1(t reflect.Type) *Schema {
	name := t.Name()
	if name == "" {
		return s.object(t)
	}
	if prev, ok := s.owner[name]; ok && prev != t {
		name = strings.ReplaceAll(t.PkgPath(), "/", ".") + "." + name
	}
	if _, ok := s.named[name]; !ok {
		s.owner[name] = t
		s.named[name] = &Schema{} // placeholder, so that a recursive type ends
		s.named[name] = s.object(t)
	}
	return &Schema{Ref: refPrefix + name}
}

// object describes a struct's JSON fields. Embedded structs without a JSON
// name are flattened, as encoding/json does. A field's description comes
// from its `doc` tag, its example from `example` or from the table of
// well-known field names; `api:"readonly"` marks what the server sets.
func (s *schemaSet) object(t reflect.Type) *Schema {
	obj := &Schema{Type: "object", Properties: map[string]*Schema{}}
	example := map[string]any{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p := s.of(f.Type)
			if p.Ref != "" {
				// Siblings of $ref are allowed in 3.1, but Swagger UI shows
				// them more reliably on a wrapper.
				p = &Schema{AnyOf: []*Schema{p}}
			}
			p.Description = f.Tag.Get("doc")
			if strings.Contains(f.Tag.Get("api"), "readonly") {
				p.ReadOnly = true
			}
			if ex, ok := exampleFor(name, f); ok {
				p.Example = ex
				// The object's example is the body "Try it out" starts
				// from: only what a client sends.
				if !p.ReadOnly {
					example[name] = ex
				}
			}
			obj.Properties[name] = p
		}
	}
	walk(t)
	if len(example) > 0 {
		obj.Example = example
	}
	return obj
}
