// Package browsertest starts Debian's chromium, headless, for the browser
// tests of the pages, the authorization flows and Swagger UI. Only tests
// import it: it needs the testing package.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser: EMP_CHROMIUM, or chromium on the PATH.
// Without it a test skips on a developer's machine but fails when CI is
// set, where it must be installed (apt-get install -y chromium).
func chromiumPath(t testing.TB) string {
	for _, name := range []string{os.Getenv("EMP_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; CI must install it (apt-get install -y chromium) to run the browser tests")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium, or set EMP_CHROMIUM); skipping the browser test")
	return ""
}

// Start launches a headless chromium for the test and returns its context,
// without a deadline (a deadline on the first run would stop the browser
// itself; callers bound their steps). The browser ends with the test.
// Browser tests skip with -short.
func Start(t testing.TB) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped with -short")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // containers run the tests as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	if err := chromedp.Do(bctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	return bctx
}
