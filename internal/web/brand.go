package web

import (
	"net/http"

	"github.com/emedpractice/emp/internal/auth"
)

// Brand is the practice's name and logo (the site_name and site_logo
// settings), shown in every page's header and title.
type Brand struct {
	Name string
	Logo string // an https URL or a path on this site; empty for none
}

// brand reads the settings; a failure to read them shows the default
// name rather than failing the page (the name is decoration).
func (s *Site) brand(r *http.Request) Brand {
	b := Brand{Name: auth.DefaultSiteName}
	if v, err := s.st.Setting(r.Context(), auth.SettingSiteName); err == nil && auth.CheckSiteName(v) == nil {
		b.Name = v
	} else if err != nil && !isNotFound(err) {
		s.logger.ErrorContext(r.Context(), "web: read site_name", "err", err)
	}
	if v, err := s.st.Setting(r.Context(), auth.SettingSiteLogo); err == nil && auth.CheckSiteLogo(v) == nil {
		b.Logo = v
	}
	return b
}

// frame is the frame of a page shown outside a handler's own (errors,
// refusals): the title and the brand.
func (s *Site) frame(r *http.Request, title string) Frame {
	return Frame{Title: title, Brand: s.brand(r)}
}

// notFound answers 404 with a page in the site's style.
func (s *Site) notFound(w http.ResponseWriter, r *http.Request, f Frame) {
	f.Title = "Page not found"
	if f.Brand.Name == "" {
		f.Brand = s.brand(r)
	}
	s.render(w, r, http.StatusNotFound, "notfound", messageView{Frame: f,
		Message: "There is no page at this address. It may have moved, or the link may be mistyped."})
}
