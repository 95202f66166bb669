// Drives headless Chromium (playwright-core, Debian's /usr/bin/chromium) through HTTP Basic and Digest
// authentication scenarios and prints the results as JSON on stdout.
//
//   node login.js '<scenarios JSON>'
//
// The argument is an array of scenarios; each runs in a fresh browser context (no shared
// credentials cache):
//
//   { "url": "http://127.0.0.1:PORT/protected",
//     "credentials": { "username": "john", "password": "hello" },   // optional
//     "repeat": 3 }                                                   // requests in this context
//
// The first request is a navigation (Chromium answers the challenge with httpCredentials);
// the others navigate again in the same context, so a Digest scheme sees the same nonce with
// an increasing nc. Output, one line per event (N = scenario index):
//
//   response N STATUS "JSON-escaped body"          (of an error status: the text the page
//                                                   shows, empty when Chromium shows its own
//                                                   error page)
//   sent N AUTHORIZATION-SCHEME [nc=XXXXXXXX]      (best effort: requests Chromium reports
//                                                   with credentials; its internal retry after
//                                                   a 401 is not always reported, so tests
//                                                   should check nonce counts on the server)
'use strict';

const { chromium } = require('playwright-core');

async function main() {
  const scenarios = JSON.parse(process.argv[2] || '[]');
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: 30000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      // No --user-data-dir: launch() always starts Chromium on a fresh temporary profile
      // (playwright passes its own --user-data-dir and refuses a second one).
    ],
  });
  const lines = [];
  try {
    for (const [n, s] of scenarios.entries()) {
      const options = s.credentials ? { httpCredentials: s.credentials } : {};
      const context = await browser.newContext(options);
      const page = await context.newPage();
      page.on('request', async (req) => {
        const h = (await req.allHeaders())['authorization'];
        if (h) {
          const nc = /(?:^|[\s,])nc=([0-9a-fA-F]+)/.exec(h);
          lines.push(`sent ${n} ${h.split(' ')[0]}${nc ? ' nc=' + nc[1] : ''}`);
        }
      });
      // Chromium fails a navigation that ends on an error status with an empty body
      // (net::ERR_HTTP_RESPONSE_CODE_FAILURE); the last main-frame response still tells it.
      let last = null;
      page.on('response', (r) => {
        if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) last = r;
      });
      for (let i = 0; i < (s.repeat || 1); i++) {
        last = null;
        let response = null;
        let shown = true;
        try {
          response = await page.goto(s.url, { timeout: 15000 });
        } catch (e) {
          if (!last) throw e;
          response = last;
          shown = false;
        }
        const status = response ? response.status() : 0;
        // The body of a 2xx, and of an error status the text the page shows. When Chromium
        // fails the navigation instead (its own error page), the body is empty.
        let body = '';
        try {
          if (status >= 200 && status < 300) {
            body = await response.text();
          } else if (shown) {
            body = await page.innerText('body');
          }
        } catch (e) {
          body = '';
        }
        lines.push(`response ${n} ${status} ${JSON.stringify(body)}`);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
