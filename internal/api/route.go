package api

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/emedpractice/emp/internal/scope"
)

// Route is one endpoint of the face, as a documentation generator needs it:
// method and path (ServeMux pattern syntax, below Prefix), the scope
// resource name and interaction the gate checks (Resource "" means no
// token is needed), the documented query fields of a list, and the Go types
// of the request body and of the envelope's data.
type Route struct {
	Method      string
	Path        string
	Resource    string
	Interaction scope.Interaction
	Summary     string
	// Query lists the search fields a list route honours.
	Query []string
	// Request is the body's type (nil for none); Multipart marks a
	// multipart/form-data upload instead of JSON.
	Request   reflect.Type
	Multipart bool
	// Response is the type of the envelope's data; List means data is an
	// array of it. Binary means the answer is the raw file, not an envelope.
	Response reflect.Type
	List     bool
	Binary   bool
	// Status is the success status (200 or 201).
	Status int

	handle func(*call) (*reply, error)
}

// Routes returns the route table of the face. The slice is a copy.
func Routes() []Route {
	rs := routeTable()
	for i := range rs {
		rs[i].handle = nil
	}
	return rs
}

// Scope is the SMART v1 scope that allows the route, e.g.
// "user/patient.read"; "" when the route is public.
func (r Route) Scope() string {
	if r.Resource == "" {
		return ""
	}
	return "user/" + r.Resource + "." + r.Interaction.V1()
}

// PathParams lists the names of the path's parameters in order. Every id
// parameter takes the record's UUID or its integer id (pid, encounter
// number, …); {list_name} is a list name (see ListNames).
func (r Route) PathParams() []string {
	var out []string
	for _, seg := range strings.Split(r.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.Trim(seg, "{}"))
		}
	}
	return out
}

// typeOf is reflect.TypeFor for a value's type, nil for nil.
func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// routeTable builds the full table: each record type contributes its routes.
func routeTable() []Route {
	var rs []Route
	rs = append(rs, Route{Method: http.MethodGet, Path: "/version", Summary: "server version",
		Response: typeOf[Version](), Status: 200, handle: handleVersion})
	rs = append(rs, patientRoutes()...)
	rs = append(rs, encounterRoutes()...)
	rs = append(rs, vitalRoutes()...)
	rs = append(rs, soapNoteRoutes()...)
	rs = append(rs, practitionerRoutes()...)
	rs = append(rs, facilityRoutes()...)
	rs = append(rs, problemRoutes()...)
	rs = append(rs, allergyRoutes()...)
	rs = append(rs, issueRoutes()...)
	rs = append(rs, appointmentRoutes()...)
	rs = append(rs, immunizationRoutes()...)
	rs = append(rs, procedureRoutes()...)
	rs = append(rs, prescriptionRoutes()...)
	rs = append(rs, drugRoutes()...)
	rs = append(rs, listRoutes()...)
	rs = append(rs, insuranceCompanyRoutes()...)
	rs = append(rs, insuranceRoutes()...)
	rs = append(rs, messageRoutes()...)
	rs = append(rs, transactionRoutes()...)
	rs = append(rs, documentRoutes()...)
	return rs
}
