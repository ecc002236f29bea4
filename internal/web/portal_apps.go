package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/auth"
)

type appsView struct {
	Frame
	Apps []appCard
}

// appCard is one app the patient authorized, however many times: what all
// its live grants together let it see and change, in words, when it was
// first allowed and last used. One Revoke ends every grant of the app.
type appCard struct {
	ClientID, Name, LogoURI string
	See, Change             []auth.ScopeWords
	// Scopes are the technical scopes, for those who want them.
	Scopes            []string
	Allowed, LastUsed time.Time
	Offline           bool
}

// portalApps is GET /portal/apps: one card per app the patient authorized.
func (s *Site) portalApps(w http.ResponseWriter, r *http.Request, p *page) {
	v := appsView{Frame: p.Frame}
	v.Title, v.Current = "Your apps", "apps"
	if r.URL.Query().Get("revoked") != "" {
		v.Notice = "Access revoked. The app can no longer use your record."
	}
	cards, err := s.appCards(r, p.patient.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.Apps = cards
	s.render(w, r, http.StatusOK, "apps", v)
}

// appCards groups the patient's live grants by app.
func (s *Site) appCards(r *http.Request, subject string) ([]appCard, error) {
	gs, err := s.st.GrantsBySubject(r.Context(), subject)
	if err != nil {
		return nil, err
	}
	byClient := map[string]*appCard{}
	var order []*appCard
	seen := map[string]map[string]bool{}
	for _, g := range gs {
		if g.Revoked() {
			continue
		}
		c := byClient[g.ClientID]
		if c == nil {
			c = &appCard{ClientID: g.ClientID, Name: g.ClientID, Allowed: g.CreatedAt}
			if cl, err := s.st.Client(r.Context(), g.ClientID); err == nil {
				c.Name, c.LogoURI = first(cl.Name, cl.ID), cl.LogoURI
			} else if !isNotFound(err) {
				return nil, err
			}
			byClient[g.ClientID], seen[g.ClientID] = c, map[string]bool{}
			order = append(order, c)
		}
		if g.CreatedAt.Before(c.Allowed) {
			c.Allowed = g.CreatedAt
		}
		used := g.LastUsedAt
		if used.IsZero() {
			used = g.CreatedAt
		}
		if used.After(c.LastUsed) {
			c.LastUsed = used
		}
		for _, sc := range strings.Fields(g.Scope) {
			if seen[g.ClientID][sc] {
				continue
			}
			seen[g.ClientID][sc] = true
			c.Scopes = append(c.Scopes, sc)
			c.Offline = c.Offline || sc == "offline_access"
		}
	}
	out := make([]appCard, 0, len(order))
	for _, c := range order {
		for _, w := range auth.DescribeScopes(strings.Join(c.Scopes, " ")) {
			// A category of a type the app may see whole says nothing
			// more (two grants: one whole, one narrowed).
			if base, _, granular := strings.Cut(w.Scope, "?"); granular && slices.Contains(c.Scopes, base) {
				continue
			}
			if w.Change {
				c.Change = append(c.Change, w)
			} else {
				c.See = append(c.See, w)
			}
		}
		out = append(out, *c)
	}
	slices.SortStableFunc(out, func(a, b appCard) int { return b.LastUsed.Compare(a.LastUsed) })
	return out, nil
}

// portalRevoke is POST /portal/apps/revoke: it revokes every grant the
// patient gave the app (client_id), which ends their refresh tokens and,
// through the gate's revocation check, their access tokens at once. A
// single grant id (grant) is still accepted, and ends that grant's app
// the same way.
func (s *Site) portalRevoke(w http.ResponseWriter, r *http.Request, p *page) {
	client := r.PostFormValue("client_id")
	if id := r.PostFormValue("grant"); client == "" && id != "" {
		g, err := s.st.Grant(r.Context(), id)
		if err != nil && !isNotFound(err) {
			s.internal(w, r, err)
			return
		}
		if err == nil && g.Subject == p.patient.ID {
			client = g.ClientID
		}
	}
	gs, err := s.st.GrantsBySubject(r.Context(), p.patient.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	n := 0
	for _, g := range gs {
		if client == "" || g.ClientID != client || g.Revoked() {
			continue
		}
		if err := s.st.RevokeGrant(r.Context(), g.ID, s.now()); err != nil {
			s.internal(w, r, err)
			return
		}
		s.audit(r, p, "revoke-grant", g.ID, g.ClientID)
		n++
	}
	// Someone else's app, or one never allowed, looks like nothing to
	// revoke.
	if n == 0 {
		s.render(w, r, http.StatusNotFound, "message", messageView{Frame: p.Frame,
			Message: "That app has no access to your record.", Link: "/portal/apps", LinkText: "Back to your apps"})
		return
	}
	redirect(w, r, "/portal/apps?revoked=1")
}
