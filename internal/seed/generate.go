package seed

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// Resource is one generated FHIR R4 resource. Body is compact JSON with
// resourceType and id first and no meta: the store assigns meta on load.
// Body is freshly allocated for every resource, so a sink may keep it.
type Resource struct {
	Type, ID string
	Body     []byte
}

// Options chooses the data set. Equal Options give byte-identical output.
type Options struct {
	Patients int       // how many patients
	Seed     int64     // the random seed
	Now      time.Time // the data set's "today": all records are in its past, only upcoming appointments after it
}

// Stats counts what Generate emitted.
type Stats struct {
	Resources int
	ByType    map[string]int
}

// groupSize is how many patients share one Group (the panels bulk export
// and cohort tests work with).
const groupSize = 1000

// Generate writes the data set, calling emit for every resource. Every
// reference points to a resource emitted earlier: first the shared
// Organizations, Locations, Practitioners, PractitionerRoles and
// Medications, then each patient with all their records, then the Groups.
// Generate stops at the first error from emit, or when ctx is done, and
// returns that error with the counts so far.
//
// A patient's records depend only on the seed and the patient's position,
// so a data set of n patients begins with exactly the patients of any
// smaller one.
func Generate(ctx context.Context, opt Options, emit func(Resource) error) (Stats, error) {
	if opt.Patients < 0 {
		return Stats{ByType: map[string]int{}}, errs.E(errs.Invalid, "seed: the number of patients must not be negative")
	}
	if opt.Now.IsZero() {
		return Stats{ByType: map[string]int{}}, errs.E(errs.Invalid, "seed: Options.Now must be set")
	}
	g := newGen(ctx, opt, emit)
	if err := ctx.Err(); err != nil {
		return g.stats(), err
	}
	g.shared()
	for i := 0; i < opt.Patients && g.err == nil; i++ {
		if err := ctx.Err(); err != nil {
			g.err = err
			break
		}
		g.patient(i)
	}
	if g.err == nil {
		g.groups(opt.Patients)
	}
	return g.stats(), g.err
}

// gen is the state of one Generate call. Everything a patient needs is
// reused from one patient to the next, so memory stays flat.
type gen struct {
	ctx  context.Context
	emit func(Resource) error
	err  error

	seed  uint64
	now   int64 // Options.Now in Unix seconds
	today int   // the day Options.Now falls on

	pcg rand.PCG
	r   *rand.Rand
	w   jw

	scope  uint64           // 0 for shared resources, patient index + 1 for a patient's
	counts [numTypes]uint32 // ordinals within the scope, for ids
	total  [numTypes]int
	polled int

	sh sharedSet
	p  patient
	v  visitState

	// Provenance targets: records of the current visit, and records kept
	// at the patient level. finish appends to whichever track points at.
	track      *[]target
	visitRecs  []target
	patientRec []target

	text []byte // scratch for note text before base64
}

type target struct {
	t  rtype
	id uid
}

func newGen(ctx context.Context, opt Options, emit func(Resource) error) *gen {
	g := &gen{
		ctx:   ctx,
		emit:  emit,
		seed:  uint64(opt.Seed),
		now:   opt.Now.Unix(),
		today: dayOfSec(opt.Now.Unix()),
	}
	g.r = rand.New(&g.pcg)
	g.w.b = make([]byte, 0, 16<<10)
	g.text = make([]byte, 0, 4<<10)
	return g
}

// reseed starts the random stream of a scope. Seeding per patient keeps a
// patient's records independent of everyone before them.
func (g *gen) reseed(scope uint64) {
	g.scope = scope
	g.counts = [numTypes]uint32{}
	g.pcg.Seed(mix64(g.seed^0x6a09e667f3bcc909), mix64(scope+0x9e3779b97f4a7c15))
}

// nextID is the id the next resource of type t in this scope will get.
func (g *gen) nextID(t rtype) uid { return makeID(g.seed, t, g.scope, g.counts[t]) }

// begin starts a resource and returns its id.
func (g *gen) begin(t rtype) uid {
	id := makeID(g.seed, t, g.scope, g.counts[t])
	g.counts[t]++
	w := &g.w
	w.reset()
	w.b = append(w.b, `{"resourceType":"`...)
	w.b = append(w.b, typeNames[t]...)
	w.b = append(w.b, `","id":"`...)
	w.b = append(w.b, id[:]...)
	w.b = append(w.b, '"')
	return id
}

// finish closes the resource begun last and hands it to the sink.
func (g *gen) finish(t rtype, id *uid) {
	g.w.end()
	if g.err != nil {
		return
	}
	g.polled++
	if g.polled&255 == 0 {
		if err := g.ctx.Err(); err != nil {
			g.err = err
			return
		}
	}
	body := make([]byte, len(g.w.b))
	copy(body, g.w.b)
	if err := g.emit(Resource{Type: typeNames[t], ID: string(id[:]), Body: body}); err != nil {
		g.err = err
		return
	}
	g.total[t]++
	if g.track != nil && t != tProvenance {
		*g.track = append(*g.track, target{t, *id})
	}
}

func (g *gen) stats() Stats {
	s := Stats{ByType: make(map[string]int)}
	for t, n := range g.total {
		if n > 0 {
			s.ByType[typeNames[t]] = n
			s.Resources += n
		}
	}
	return s
}

// Random helpers.

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }
func (g *gen) intn(n int) int        { return g.r.IntN(n) }

// between is uniform in [lo, hi].
func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func (g *gen) normal(mean, sd float64) float64 { return mean + sd*g.r.NormFloat64() }

// poisson draws a small count with mean lambda (Knuth's method; lambda is
// at most a few dozen here).
func (g *gen) poisson(lambda float64) int {
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= g.r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// clampNow keeps a time from running past the data set's now.
func (g *gen) clampNow(t int64) int64 {
	if t > g.now {
		return g.now
	}
	return t
}
