package api

import (
	"net/http"

	"github.com/emedpractice/emp/internal/scope"
)

// ops selects the routes crud builds: list, get, create, update, delete.
type ops struct{ list, get, create, update, delete bool }

var allOps = ops{true, true, true, true, true}

// crud builds the routes of a record type under base ("/allergy" or
// "/patient/{puuid}/allergy"): the collection at base and one record at
// base/{idParam}. When base names a patient ({puuid} or {pid}), every route
// is confined to that patient: lists show only their records and a record
// of another patient is 404.
func crud[T any](k *recordType[T], base, patientParam, idParam string, o ops, summary string) []Route {
	patient := func(c *call) (string, error) {
		if patientParam == "" {
			return "", nil
		}
		return c.patientFromPath(patientParam)
	}
	one := func(c *call) (string, string, error) {
		p, err := patient(c)
		if err != nil {
			return "", "", err
		}
		id, err := c.resolveID(idParam, k.name)
		return p, id, err
	}
	rec := typeOf[T]()
	createdType := typeOf[Created]()
	if k.createdType != nil {
		createdType = k.createdType
	}
	var rs []Route
	if o.list {
		rs = append(rs, Route{Method: http.MethodGet, Path: base, Resource: k.name, Interaction: scope.Search, List: true,
			Query: queryNames(k.query), Summary: "list " + summary, Response: rec, Status: 200,
			handle: func(c *call) (*reply, error) {
				p, err := patient(c)
				if err != nil {
					return nil, err
				}
				return k.list(c, p)
			}})
	}
	if o.create {
		rs = append(rs, Route{Method: http.MethodPost, Path: base, Resource: k.name, Interaction: scope.Create,
			Summary: "create " + summary, Request: rec, Response: createdType, Status: 201,
			handle: func(c *call) (*reply, error) {
				p, err := patient(c)
				if err != nil {
					return nil, err
				}
				return k.create(c, p)
			}})
	}
	path := base + "/{" + idParam + "}"
	if o.get {
		rs = append(rs, Route{Method: http.MethodGet, Path: path, Resource: k.name, Interaction: scope.Read,
			Summary: "read " + summary, Response: rec, Status: 200,
			handle: func(c *call) (*reply, error) {
				p, id, err := one(c)
				if err != nil {
					return nil, err
				}
				return k.get(c, p, id)
			}})
	}
	if o.update {
		rs = append(rs, Route{Method: http.MethodPut, Path: path, Resource: k.name, Interaction: scope.Update,
			Summary: "update " + summary + " (only the fields sent)", Request: rec, Response: rec, Status: 200,
			handle: func(c *call) (*reply, error) {
				p, id, err := one(c)
				if err != nil {
					return nil, err
				}
				return k.update(c, p, id)
			}})
	}
	if o.delete {
		rs = append(rs, Route{Method: http.MethodDelete, Path: path, Resource: k.name, Interaction: scope.Delete,
			Summary: "delete " + summary, Response: typeOf[Deleted](), Status: 200,
			handle: func(c *call) (*reply, error) {
				p, id, err := one(c)
				if err != nil {
					return nil, err
				}
				return k.remove(c, p, id)
			}})
	}
	return rs
}

// Created is the data of a 201: the new record's integer id and uuid.
type Created struct {
	ID   int64  `json:"id"`
	UUID string `json:"uuid"`
}

// Deleted is the data of a successful delete.
type Deleted struct {
	Message string `json:"message"`
}
