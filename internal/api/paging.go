package api

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/search"
)

// Paging defaults: the original returned everything when no limit was given,
// which does not scale; we page by 100 and allow up to 500.
const (
	defaultLimit = 100
	maxLimit     = 500
)

// page is the window a list asks for.
type page struct {
	limit, offset int
	// byCursor pages by the store's keyset position instead of _offset:
	// _cursor (empty for the first page) continues a list where a previous
	// page ended, and each next link carries the position.
	byCursor bool
	cursor   string
}

// readPage reads _limit (alias _maxresults) and _offset. A value that is not
// a whole number is a 400 naming the parameter; a limit over the maximum is
// capped.
func readPage(q url.Values) (page, error) {
	p := page{limit: defaultLimit}
	for _, name := range []string{"_limit", "_maxresults", "_count"} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return p, fieldErr(name, "numeric", "%s must be a whole number of at least 1, not %q", name, v)
			}
			p.limit = min(n, maxLimit)
			break
		}
	}
	if v := q.Get("_offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, fieldErr("_offset", "numeric", "_offset must be a whole number, not %q", v)
		}
		p.offset = n
	}
	if q.Has("_cursor") {
		if p.offset != 0 {
			return p, fieldErr("_cursor", "cursor", "give _cursor or _offset, not both")
		}
		p.byCursor, p.cursor = true, q.Get("_cursor")
	}
	return p, nil
}

// links builds the paging links of a list from the request URL.
func (c *call) links(p page, next string) *Links {
	return pageLinks(c.h.cfg.BaseURL, c.r.URL.Path, c.r.URL.Query(), p, next)
}

// pageLinks builds the links of a list page: by _offset, or by _cursor when
// the request paged by cursor (each next link then carries the store's
// keyset position, so a deep page costs what the first does).
func pageLinks(base, path string, query url.Values, p page, next string) *Links {
	mk := func(offset int, cursor string, byCursor bool) string {
		q := url.Values{}
		for k, v := range query {
			q[k] = append([]string(nil), v...)
		}
		q.Del("_maxresults")
		q.Del("_count")
		q.Del("_cursor")
		q.Del("_offset")
		q.Set("_limit", strconv.Itoa(p.limit))
		if byCursor {
			q.Set("_cursor", cursor)
		} else {
			q.Set("_offset", strconv.Itoa(offset))
		}
		return base + path + "?" + q.Encode()
	}
	if p.byCursor {
		l := &Links{Self: mk(0, p.cursor, true), First: mk(0, "", true)}
		if next != "" {
			l.Next = mk(0, next, true)
		}
		return l
	}
	l := &Links{Self: mk(p.offset, "", false), First: mk(0, "", false)}
	if p.offset > 0 {
		l.Previous = mk(max(0, p.offset-p.limit), "", false)
	}
	if next != "" {
		l.Next = mk(p.offset+p.limit, "", false)
	}
	return l
}

// sortKeys translates _sort=field,-field into FHIR sort parameters through
// the record type's sortable fields; an unknown field is a 400.
func sortKeys(v string, sortable map[string]string) (string, error) {
	if v == "" {
		return "", nil
	}
	keys := strings.Split(v, ",")
	if len(keys) > search.MaxSortKeys {
		return "", fieldErr("_sort", ruleBounds, "a search may have at most %d sort keys (MaxSortKeys), this one has %d", search.MaxSortKeys, len(keys))
	}
	var out []string
	for _, f := range keys {
		f = strings.TrimSpace(f)
		desc := strings.HasPrefix(f, "-")
		name := strings.TrimPrefix(f, "-")
		p, ok := sortable[name]
		if !ok {
			return "", fieldErr("_sort", "sort", "cannot sort by %q", name)
		}
		if desc {
			p = "-" + p
		}
		out = append(out, p)
	}
	return strings.Join(out, ","), nil
}
