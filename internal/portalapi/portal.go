// Package portalapi is the patient portal API at /portal/: a patient's own
// demographics, encounters and appointments, for apps the patient signed in
// to. Only patient tokens with api:port are served, and the patient always
// comes from the token, never from the request: another patient's record is
// simply not found. Records look as they do on the standard API (package
// api reads them through the same mappings) and answers use its envelope.
package portalapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/ctrlchar"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// Config is what the portal face needs.
type Config struct {
	Store   *store.Store
	Gate    *authz.Verifier
	Logger  *slog.Logger
	Now     func() time.Time
	BaseURL string // the public site address, without a trailing slash
	// Enabled reports whether the face is on (the portal_api site
	// setting); when it says no, every path answers 404; nil means on. An
	// error (the database is away) is answered as itself: a 503 with
	// Retry-After, never the 404 of a face switched off.
	Enabled func(ctx context.Context) (bool, error)
	// LogBodies reports whether audit rows also keep the response bodies
	// (the api_log site setting). nil means no.
	LogBodies func(ctx context.Context) bool
}

// Prefix is where the face is mounted; AltPrefix serves the same routes
// for clients written for the original system's URL layout.
const (
	Prefix    = "/portal"
	AltPrefix = "/apis/default/portal"
)

// Route is one endpoint, for documentation generators: method, path below
// Prefix, the patient/ scope resource and interaction it needs, and the Go
// type of the envelope's data (List: an array of it).
type Route struct {
	Method      string
	Path        string
	Resource    string
	Interaction scope.Interaction
	Summary     string
	Query       []string
	Response    reflect.Type
	List        bool
	Status      int

	handle func(*call) (any, *api.Links, error)
}

// Scope is the SMART v1 scope the route needs, e.g. patient/encounter.read.
func (r Route) Scope() string { return "patient/" + r.Resource + "." + r.Interaction.V1() }

// Routes returns the route table of the face.
func Routes() []Route {
	rs := routeTable()
	for i := range rs {
		rs[i].handle = nil
	}
	return rs
}

func routeTable() []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/patient", Resource: "patient", Interaction: scope.Search,
			Summary: "the signed-in patient's demographics", Response: reflect.TypeFor[api.Patient](), Status: 200, handle: getPatient},
		{Method: http.MethodGet, Path: "/patient/encounter", Resource: "encounter", Interaction: scope.Search, List: true,
			Query: []string{"date", "class_code", "status"}, Summary: "the patient's encounters",
			Response: reflect.TypeFor[api.Encounter](), Status: 200, handle: listEncounters},
		{Method: http.MethodGet, Path: "/patient/encounter/{euuid}", Resource: "encounter", Interaction: scope.Read,
			Summary: "one of the patient's encounters", Response: reflect.TypeFor[api.Encounter](), Status: 200, handle: getEncounter},
		{Method: http.MethodGet, Path: "/patient/appointment", Resource: "appointment", Interaction: scope.Search, List: true,
			Query: []string{"pc_eventDate", "status"}, Summary: "the patient's appointments",
			Response: reflect.TypeFor[api.Appointment](), Status: 200, handle: listAppointments},
		{Method: http.MethodGet, Path: "/patient/appointment/{uuid}", Resource: "appointment", Interaction: scope.Read,
			Summary: "one of the patient's appointments", Response: reflect.TypeFor[api.Appointment](), Status: 200, handle: getAppointment},
	}
}

// Handler serves the portal face. Mount it at "/portal/" and
// "/apis/default/portal/".
type Handler struct {
	cfg   Config
	mux   *http.ServeMux
	gate  *gate.Gate
	cache *api.ReaderCache
}

// New builds the face.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), cache: api.NewReaderCache(5000)}
	// The portal answers in the API's envelope and its tokens are the
	// API's (api:port), hence the API's realm.
	h.gate = gate.New(gate.Config{Verifier: cfg.Gate, Audit: cfg.Store, Realm: "api", LogBodies: cfg.LogBodies,
		WriteError: func(w http.ResponseWriter, r *http.Request, err error) { api.WriteError(w, r, h.cfg.Logger, err) }})
	for _, rt := range routeTable() {
		h.mux.HandleFunc(rt.Method+" "+Prefix+rt.Path, h.serve(rt))
	}
	h.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, r, h.cfg.Logger, errs.E(errs.NotFound, "no such portal endpoint: %s %s", r.Method, r.URL.Path))
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Enabled != nil {
		on, err := h.cfg.Enabled(r.Context())
		if err == nil && !on {
			err = errs.E(errs.NotFound, "the patient portal API is switched off")
		}
		if err != nil {
			api.WriteError(w, r, h.cfg.Logger, err)
			return
		}
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, AltPrefix); ok && (rest == "" || rest[0] == '/') {
		r2 := r.Clone(r.Context())
		r2.URL.Path = Prefix + rest
		r2.URL.RawPath = ""
		r = r2
	}
	h.mux.ServeHTTP(w, r)
}

// call is one authenticated portal request.
type call struct {
	h       *Handler
	r       *http.Request
	patient string // from the token
	rd      *api.Reader
	resID   string
}

// serve wraps a route's handler with the gate (package gate); the patient
// is the token's, and the answer is the API's envelope.
func (h *Handler) serve(rt Route) http.HandlerFunc {
	return h.gate.Serve(func(g *gate.Request) error {
		p := g.Caller
		action := "read"
		if rt.List {
			action = "search"
		}
		g.Audit = store.AuditEvent{Patient: p.Patient, Action: action, Type: "portal:" + rt.Resource}
		if err := p.CanPortal(rt.Resource, rt.Interaction); err != nil {
			return err
		}
		if p.Patient == "" {
			return errs.E(errs.Forbidden, "the token names no patient")
		}
		if e := ctrlchar.Values(g.R.URL.Query()); e != nil {
			return e // a list's filters go to the store: refuse control characters first
		}
		c := &call{h: h, r: g.R, patient: p.Patient, rd: api.NewReader(g.Context(), h.cfg.Store, h.cfg.Now).WithCache(h.cache)}
		data, links, err := rt.handle(c)
		g.Audit.ResID = c.resID
		if err != nil {
			return err
		}
		api.WriteJSON(g.W, rt.Status, api.Envelope{Data: data, Links: links})
		return nil
	})
}

// notFound turns a Gone into NotFound: a deleted record is simply absent.
func notFound(err error) error {
	if errs.KindOf(err) == errs.Gone {
		return errs.E(errs.NotFound, "not found")
	}
	return err
}

// pathID checks the id in the path has the form of a record id.
func (c *call) pathID(name string) (string, error) {
	v := c.r.PathValue(name)
	if !search.ValidID(v) {
		return "", &errs.Error{Kind: errs.Invalid, Field: name, Message: "invalid or nonexisting value " + v}
	}
	c.resID = v
	return v, nil
}

func getPatient(c *call) (any, *api.Links, error) {
	p, err := c.rd.Patient(c.patient)
	return p, nil, notFound(err)
}

func listEncounters(c *call) (any, *api.Links, error) {
	q := c.r.URL.Query()
	pg, err := api.ReadPage(q)
	if err != nil {
		return nil, nil, err
	}
	recs, next, err := c.rd.Encounters(c.patient, q, pg)
	if err != nil {
		return nil, nil, err
	}
	return recs, c.links(q, pg, next), nil
}

func getEncounter(c *call) (any, *api.Links, error) {
	id, err := c.pathID("euuid")
	if err != nil {
		return nil, nil, err
	}
	e, err := c.rd.Encounter(c.patient, id)
	return e, nil, notFound(err)
}

func listAppointments(c *call) (any, *api.Links, error) {
	q := c.r.URL.Query()
	pg, err := api.ReadPage(q)
	if err != nil {
		return nil, nil, err
	}
	recs, next, err := c.rd.Appointments(c.patient, q, pg)
	if err != nil {
		return nil, nil, err
	}
	return recs, c.links(q, pg, next), nil
}

func getAppointment(c *call) (any, *api.Links, error) {
	id, err := c.pathID("uuid")
	if err != nil {
		return nil, nil, err
	}
	a, err := c.rd.Appointment(c.patient, id)
	return a, nil, notFound(err)
}

func (c *call) links(q url.Values, p api.Page, next string) *api.Links {
	return api.PageLinks(c.h.cfg.BaseURL, c.r.URL.Path, q, p, next)
}
