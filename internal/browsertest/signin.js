// Drives the hosted sign-in pages in headless Chromium, as a person would:
// sign up, open the verification link from the mailbox, sign in (one wrong
// password first), pass the TOTP step, land on the client's callback.
// browser_test.go starts the server and runs it; every check that fails
// throws, so the exit status tells the test.
//
// Environment: AUTHOS_START (the client's authorization URL, prompt=create),
// AUTHOS_TEST_API (the test server's helper endpoints), AUTHOS_OUT (where
// screenshots go), AUTHOS_CHROMIUM (the browser), AUTHOS_PROFILE (an empty
// user-data-dir).
'use strict';

const { chromium } = require('playwright-core');
const path = require('path');

const email = 'grace@example.com';
const password = 'cobol compiler 1959';
const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const start = env('AUTHOS_START');
const api = env('AUTHOS_TEST_API');
const out = env('AUTHOS_OUT');

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

// checkPage asserts the title and the page headers of a hosted page.
async function checkPage(page, resp, title) {
  check((await page.title()) === `${title} · authos`, `title "${title} · authos" (got "${await page.title()}")`);
  const h = resp.headers();
  const csp = h['content-security-policy'] || '';
  check(csp.includes("default-src 'none'") && csp.includes("frame-ancestors 'none'") && !csp.includes('script-src'),
    `CSP of "${title}": ${csp}`);
  check(h['cache-control'] === 'no-store', `Cache-Control no-store on "${title}"`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(out, name + '.png'), fullPage: true });
}

async function helper(name, params) {
  const u = new URL(api + '/' + name);
  for (const [k, v] of Object.entries(params || {})) u.searchParams.set(k, v);
  const r = await fetch(u);
  if (!r.ok) throw new Error(`${name}: ${r.status} ${await r.text()}`);
  return (await r.text()).trim();
}

(async () => {
  const context = await chromium.launchPersistentContext(env('AUTHOS_PROFILE'), {
    executablePath: env('AUTHOS_CHROMIUM'),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 640, height: 760 },
    locale: 'en-US',
  });
  try {
    const page = context.pages()[0] || (await context.newPage());

    // prompt=create: the client's link opens the sign-up page.
    let resp = await page.goto(start);
    await checkPage(page, resp, 'Create an account');
    check(new URL(page.url()).pathname === '/auth/signup', 'prompt=create leads to /auth/signup');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Name (optional)').fill('Grace');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm the password').fill(password);
    await shot(page, 'signup');
    [resp] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Create account' }).click()]);
    await checkPage(page, resp, 'Check your email');
    check(await page.getByRole('status').isVisible(), 'sign-up notice shown');

    // The verification link from the mailbox.
    const link = await helper('mailbox', { to: email });
    check(link.includes('/verify-email?') && link.includes('flow='), `verification link carries the flow: ${link}`);
    resp = await page.goto(link);
    await checkPage(page, resp, 'Verify your email address');
    [resp] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Verify my email' }).click()]);
    await checkPage(page, resp, 'Email verified');

    // Two-factor authentication is turned on for the account (the test
    // enrols it through the API), then the person continues to the flow.
    const secret = await helper('enrol', { email });
    check(secret.length >= 16, 'TOTP enrolled');
    [resp] = await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Sign in' }).click()]);
    await checkPage(page, resp, 'Sign in');
    check((await page.getByLabel('Email address').inputValue()) === email, 'email prefilled after verifying');
    await shot(page, 'signin');

    // A wrong password shows the form again with the problem.
    await page.getByLabel('Password', { exact: true }).fill('not my password');
    [resp] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    check(resp.status() === 401, `wrong password: status ${resp.status()}`);
    check((await page.getByRole('alert').innerText()).includes('Invalid email or password'), 'wrong password alert');
    await shot(page, 'signin-wrong-password');

    await page.getByLabel('Password', { exact: true }).fill(password);
    [resp] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    await checkPage(page, resp, 'Two-factor authentication');
    check(new URL(page.url()).pathname === '/auth/signin/mfa', 'the second step follows the password');
    await shot(page, 'mfa');
    await page.getByLabel('Authentication code').fill(await helper('totp', { email }));
    [resp] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Verify' }).click()]);

    // The client's callback exchanged the code.
    check(new URL(page.url()).pathname === '/callback', `landed on the client's callback: ${page.url()}`);
    check(resp.status() === 200, `callback status ${resp.status()}`);
    const text = await page.locator('body').innerText();
    check(text.includes('Signed in as ' + email) && text.includes('otp'), `callback page: ${text}`);
    await shot(page, 'callback');
  } finally {
    await context.close();
  }
})().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
