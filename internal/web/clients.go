package web

import (
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

type clientsView struct {
	Frame
	Clients []clientRow
	// Secret is a new secret, shown once after a rotation.
	Secret, SecretFor string
}

type clientRow struct {
	auth.Client
	Type         string
	Scopes       []string
	Confidential bool
}

func clientType(c auth.Client) string {
	switch c.AuthMethod {
	case auth.AuthNone:
		return "public"
	case auth.AuthPrivateKeyJWT:
		return "confidential (private_key_jwt)"
	}
	return "confidential (client secret)"
}

// clients is GET /admin/clients: every registered app, pending ones first.
func (s *Site) clients(w http.ResponseWriter, r *http.Request, p *page) {
	s.renderClients(w, r, p, http.StatusOK, "", "")
}

func (s *Site) renderClients(w http.ResponseWriter, r *http.Request, p *page, status int, secret, secretFor string) {
	cs, err := s.st.Clients(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := clientsView{Frame: p.Frame, Secret: secret, SecretFor: secretFor}
	v.Title, v.Current = "Clients", "clients"
	if v.Notice == "" {
		v.Notice = noticeOf(r)
	}
	for _, c := range cs {
		v.Clients = append(v.Clients, clientRow{Client: c, Type: clientType(c), Scopes: strings.Fields(c.Scope),
			Confidential: c.AuthMethod == auth.AuthClientSecretBasic || c.AuthMethod == auth.AuthClientSecretPost})
	}
	slices.SortStableFunc(v.Clients, func(a, b clientRow) int {
		return boolRank(a.Status != auth.ClientPending) - boolRank(b.Status != auth.ClientPending)
	})
	s.render(w, r, status, "clients", v)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// clientAction is POST /admin/clients/{id}/{action}: approve, disable,
// enable, rotate (the secret, shown once) or delete.
func (s *Site) clientAction(w http.ResponseWriter, r *http.Request, p *page) {
	id, action := r.PathValue("id"), r.PathValue("action")
	c, err := s.st.Client(r.Context(), id)
	if isNotFound(err) {
		s.render(w, r, http.StatusNotFound, "message", messageView{Frame: p.Frame, Message: "There is no such client.",
			Link: "/admin/clients", LinkText: "Back to the clients"})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// The store audits status changes and deletions in their own
	// transaction, with the administrator named here (as `emp client` does
	// with the operator).
	who := store.WithRequest(r.Context(), store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()),
		Actor: p.staff.ID, Role: p.staff.Role, Method: r.Method, Path: r.URL.Path})
	switch action {
	case "approve", "enable":
		err = s.st.SetClientStatus(who, id, auth.ClientApproved)
	case "disable":
		err = s.st.SetClientStatus(who, id, auth.ClientDisabled)
	case "delete":
		err = s.st.DeleteClient(who, id)
	case "rotate":
		if c.AuthMethod != auth.AuthClientSecretBasic && c.AuthMethod != auth.AuthClientSecretPost {
			p.Error = "Only a client that authenticates with a secret has one to rotate."
			s.renderClients(w, r, p, http.StatusBadRequest, "", "")
			return
		}
		raw := make([]byte, 32)
		if _, err := io.ReadFull(s.rand, raw); err != nil {
			s.internal(w, r, err)
			return
		}
		secret := base64.RawURLEncoding.EncodeToString(raw)
		if err := s.st.SetClientSecretHash(r.Context(), id, auth.HashSecret(secret)); err != nil {
			s.internal(w, r, err)
			return
		}
		s.audit(r, p, "client-rotate-secret", id, c.Name)
		p.Notice = "The secret was replaced. Copy it now: it is not shown again, and the old one no longer works."
		s.renderClients(w, r, p, http.StatusOK, secret, c.Name)
		return
	default:
		p.Error = "Unknown action."
		s.renderClients(w, r, p, http.StatusBadRequest, "", "")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	redirect(w, r, "/admin/clients?saved=1")
}

type confirmView struct {
	Frame
	Client auth.Client
}

// confirmDelete is GET /admin/clients/{id}/delete: deleting cannot be
// undone, so the button on the list only leads here, and this page's form
// deletes.
func (s *Site) confirmDelete(w http.ResponseWriter, r *http.Request, p *page) {
	c, err := s.st.Client(r.Context(), r.PathValue("id"))
	if isNotFound(err) {
		s.render(w, r, http.StatusNotFound, "message", messageView{Frame: p.Frame, Message: "There is no such client.",
			Link: "/admin/clients", LinkText: "Back to the clients"})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := confirmView{Frame: p.Frame, Client: c}
	v.Title, v.Current = "Delete "+first(c.Name, c.ID), "clients"
	if v.Client.Name == "" {
		v.Client.Name = c.ID
	}
	s.render(w, r, http.StatusOK, "confirm-delete", v)
}
