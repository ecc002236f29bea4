package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/auth"
)

type appsView struct {
	Frame
	Grants []grantRow
}

// grantRow is one app the patient authorized.
type grantRow struct {
	auth.Grant
	AppName string
	Scopes  []string
}

// portalApps is GET /portal/apps: the apps the patient authorized, with
// their scopes, and a button to revoke each.
func (s *Site) portalApps(w http.ResponseWriter, r *http.Request, p *page) {
	v := appsView{Frame: p.Frame}
	v.Title, v.Current = "Your apps", "apps"
	if r.URL.Query().Get("revoked") != "" {
		v.Notice = "Access revoked. The app can no longer read your record."
	}
	gs, err := s.st.GrantsBySubject(r.Context(), p.patient.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	names := map[string]string{}
	for _, g := range gs {
		if g.Revoked() {
			continue
		}
		if _, seen := names[g.ClientID]; !seen {
			names[g.ClientID] = g.ClientID
			if c, err := s.st.Client(r.Context(), g.ClientID); err == nil {
				names[g.ClientID] = first(c.Name, c.ID)
			}
		}
		v.Grants = append(v.Grants, grantRow{Grant: g, AppName: names[g.ClientID], Scopes: strings.Fields(g.Scope)})
	}
	slices.SortStableFunc(v.Grants, func(a, b grantRow) int { return b.CreatedAt.Compare(a.CreatedAt) })
	s.render(w, r, http.StatusOK, "apps", v)
}

// portalRevoke is POST /portal/apps/revoke: it revokes one of the patient's
// own grants, which ends its refresh tokens and, through the gate's
// revocation check, its access tokens at once.
func (s *Site) portalRevoke(w http.ResponseWriter, r *http.Request, p *page) {
	id := r.PostFormValue("grant")
	g, err := s.st.Grant(r.Context(), id)
	if err != nil && !isNotFound(err) {
		s.internal(w, r, err)
		return
	}
	// Someone else's grant looks exactly like a missing one.
	if err != nil || g.Subject != p.patient.ID {
		s.render(w, r, http.StatusNotFound, "message", messageView{Frame: p.Frame,
			Message: "There is no such app authorization.", Link: "/portal/apps", LinkText: "Back to your apps"})
		return
	}
	if err := s.st.RevokeGrant(r.Context(), id, s.now()); err != nil {
		s.internal(w, r, err)
		return
	}
	s.audit(r, p, "revoke-grant", id, g.ClientID)
	redirect(w, r, "/portal/apps?revoked=1")
}
