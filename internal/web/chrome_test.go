package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/emedpractice/emp/internal/browsertest"
)

// EnvArtifacts names a directory for the browser tests' screenshots; the
// test's temporary directory (gone after the run) when unset.
const EnvArtifacts = "EMP_TEST_ARTIFACTS"

// chrome drives one headless Chromium for a test and keeps a screenshot of
// every step, written out when the test fails.
type chrome struct {
	t     *testing.T
	ctx   context.Context
	shots []shot
}

type shot struct {
	name string
	png  []byte
}

func newChrome(t *testing.T) *chrome {
	t.Helper()
	bctx := browsertest.Start(t)
	ctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	c := &chrome{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			c.snap("failure")
			c.writeShots()
		}
		cancelTimeout()
	})
	return c
}

// step runs actions as one named step of the scenario and keeps a
// screenshot of where it ended; a failing step ends the test.
func (c *chrome) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	c.snap(name)
	if err != nil {
		loc, _ := chromedp.Run(c.ctx, chromedp.Location())
		c.t.Fatalf("%s: %v (at %s)", name, err, loc)
	}
}

func (c *chrome) snap(name string) {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		c.shots = append(c.shots, shot{name, png})
	}
}

// stepTimeout bounds one step: far more than any page needs, so a stuck
// step fails the test soon with its screenshot instead of at the deadline.
const stepTimeout = 20 * time.Second

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func (c *chrome) writeShots() {
	dir := os.Getenv(EnvArtifacts)
	if dir == "" {
		dir = c.t.TempDir()
	}
	dir = filepath.Join(dir, unsafeName.ReplaceAllString(c.t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.t.Logf("screenshots: %v", err)
		return
	}
	for i, s := range c.shots {
		p := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i, unsafeName.ReplaceAllString(s.name, "_")))
		if err := os.WriteFile(p, s.png, 0o644); err != nil {
			c.t.Logf("screenshots: %v", err)
			return
		}
	}
	c.t.Logf("screenshots of each step: %s", dir)
}

// text reads the text of the first element matching sel.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		c.snap("read " + sel)
		c.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// signIn fills a sign-in form (the pages' or the authorization server's).
func signIn(user, pass string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=username]`), user),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), pass),
	)
}

// click, visible and set are the scenario's verbs, by CSS selector.
func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
func set(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}

// checked reads a checkbox.
func (c *chrome) checked(sel string) bool {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked"))
	if err != nil {
		c.t.Fatalf("read %s: %v", sel, err)
	}
	return v
}
