#!/usr/bin/env node
// The agent's browser, for tests of the desktop app's browser sign-in (RFC 8252).
//
//   CIBA_DESK_TEST_AGENT=agent-1 node browser.mjs URL
//
// The app opens the system browser at the OP's authorization endpoint; in
// tests BROWSER names this program, which gets the URL as its last argument.
// It does what an agent in a browser does, over plain HTTP(S) with Node's
// fetch: follows the OP's redirects by hand with a cookie jar (oidc-provider's
// interaction and session cookies), on the sign-in page (op.mjs,
// /interaction/:uid) submits `login=$CIBA_DESK_TEST_AGENT`, and follows on until
// a redirect leaves the OP for the app's loopback listener
// (http://127.0.0.1:PORT/callback?code=...&state=... or ?error=...). It then
// GETs that URL, as the browser delivers the code to the app, and reports the
// listener's status on stderr.
//
// It works synchronously and exits when done, and that is deliberate: a real
// BROWSER (xdg-open) returns at once, but the app spawns BROWSER and does not
// wait for it (it waits on its own listener), so a helper that returns only
// after delivering the callback deadlocks no one, and a test can wait for its
// exit status and read its stderr. (A detached helper would be needed only for
// a caller that waits for BROWSER to exit before it listens.)
//
// HTTPS: Node's fetch trusts the system's CAs plus NODE_EXTRA_CA_CERTS (a PEM
// file), e.g. the CA of an OP started with OpOptions::tls; plain http (what the
// test OP serves by default, on 127.0.0.1) needs nothing.
//
// Output: stderr only, one line per step, each starting with `browser: `; also
// appended to the file CIBA_DESK_TEST_BROWSER_LOG when that is set (for callers
// that do not keep the helper's stderr).
// Exit status: 0 when the callback was delivered (whatever the listener
// answered; the line says what); 2 for a usage error (no URL, or
// CIBA_DESK_TEST_AGENT unset); 1 for any other failure (the OP refused the
// login or answered something else than a redirect or the sign-in page, too many
// redirects, a connection or TLS error, nobody listening on the callback), with
// one line saying why.

import * as fs from 'node:fs';

const MAX_STEPS = 20;
// Per request. The whole sign-in takes well under a second against the test OP.
const TIMEOUT_MS = 30_000;
const LOG = process.env.CIBA_DESK_TEST_BROWSER_LOG || undefined;

function say(line) {
  const text = `browser: ${line.replace(/\s+/g, ' ').trim()}\n`;
  process.stderr.write(text);
  if (LOG) {
    try {
      fs.appendFileSync(LOG, text);
    } catch {
      // The log is a convenience; stderr has the line already.
    }
  }
}

function fail(message, status = 1) {
  say(message);
  process.exit(status);
}

// ---------------------------------------------------------------- arguments

const arg = process.argv.length > 2 ? process.argv[process.argv.length - 1] : undefined;
if (!arg) fail('usage: CIBA_DESK_TEST_AGENT=<agent sub> node browser.mjs URL', 2);
let start;
try {
  start = new URL(arg);
} catch {
  fail(`not a URL: ${JSON.stringify(arg)}`, 2);
}
if (start.protocol !== 'http:' && start.protocol !== 'https:') {
  fail(`not an http(s) URL: ${arg}`, 2);
}
const agent = process.env.CIBA_DESK_TEST_AGENT;
if (!agent) fail('CIBA_DESK_TEST_AGENT is not set: it names the agent (sub) who signs in', 2);

// ---------------------------------------------------------------- cookies

// Enough of RFC 6265 for one OP: host-only cookies keyed by host, path-matched,
// dropped when they expire or are cleared (Max-Age <= 0 or Expires in the past).
const jar = new Map(); // `${host}\t${path}\t${name}` -> { host, path, name, value, expires }

function defaultPath(url) {
  const p = url.pathname;
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function storeCookies(url, response) {
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const cookie = {
      host: url.hostname,
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      path: defaultPath(url),
      expires: Infinity,
    };
    for (const attr of attrs) {
      const [k, ...v] = attr.split('=');
      const key = k.trim().toLowerCase();
      const value = v.join('=').trim();
      if (key === 'path' && value.startsWith('/')) cookie.path = value;
      else if (key === 'max-age' && /^-?\d+$/.test(value)) cookie.expires = Date.now() + Number(value) * 1000;
      else if (key === 'expires' && cookie.expires === Infinity) {
        const t = Date.parse(value);
        if (!Number.isNaN(t)) cookie.expires = t;
      }
    }
    const key = `${cookie.host}\t${cookie.path}\t${cookie.name}`;
    if (cookie.expires <= Date.now()) jar.delete(key);
    else jar.set(key, cookie);
  }
}

function pathMatches(requestPath, cookiePath) {
  return requestPath === cookiePath
    || (requestPath.startsWith(cookiePath)
      && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));
}

function cookieHeader(url) {
  const now = Date.now();
  const out = [];
  for (const c of jar.values()) {
    if (c.host === url.hostname && c.expires > now && pathMatches(url.pathname, c.path)) {
      out.push(`${c.name}=${c.value}`);
    }
  }
  return out.join('; ');
}

// ---------------------------------------------------------------- requests

function describeError(err) {
  // fetch wraps the real reason (ECONNREFUSED, a TLS error, ...) in `cause`.
  const cause = err?.cause;
  if (!cause) return err?.message ?? String(err);
  const message = String(cause.message ?? '');
  return cause.code && !message.includes(cause.code) ? `${cause.code}: ${message}` : message || cause.code;
}

async function request(url, { method = 'GET', form } = {}) {
  const headers = { accept: 'text/html,application/json;q=0.9,*/*;q=0.8' };
  const cookies = cookieHeader(url);
  if (cookies) headers.cookie = cookies;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    fail(`${method} ${url.origin}${url.pathname} failed: ${describeError(err)}`);
  }
  storeCookies(url, response);
  return response;
}

async function readText(response) {
  try {
    return await response.text();
  } catch {
    return '';
  }
}

const snippet = (text) => (text.length > 300 ? `${text.slice(0, 300)}...` : text);

// The op.mjs sign-in page: its form's action and its error text, if any.
function parseLoginPage(html) {
  const form = /<form\b[^>]*\baction="([^"]*\/login)"[^>]*>/i.exec(html);
  if (!form || !/<input\b[^>]*\bname="login"/i.test(html)) return undefined;
  const error = /<p\b[^>]*class="error"[^>]*>([\s\S]*?)<\/p>/i.exec(html)?.[1];
  const unescape = (s) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { action: unescape(form[1]), error: error && unescape(error.trim()) };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

// Delivers the authorization response to the app's loopback listener.
async function deliver(url) {
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
    fail(`the OP redirected to ${url.origin}${url.pathname}, not to a loopback http callback`);
  }
  const what = url.searchParams.has('code')
    ? 'code'
    : `error=${url.searchParams.get('error') ?? '(none)'}`;
  const response = await request(url);
  await readText(response);
  say(`delivered ${what} to ${url.origin}${url.pathname}: the app answered ${response.status}`);
  process.exit(0);
}

// ---------------------------------------------------------------- the sign-in

const op = start.origin;
let url = start;
let method = 'GET';
let form;
let loggedIn = false;

for (let step = 0; step < MAX_STEPS; step++) {
  if (url.origin !== op) await deliver(url);

  const response = await request(url, { method, form });
  const status = response.status;
  const location = response.headers.get('location');

  if (status >= 300 && status < 400 && location) {
    await readText(response);
    const next = new URL(location, url);
    // 303 (and, as browsers do, 301/302 after a POST) continue with a GET.
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET';
      form = undefined;
    }
    url = next;
    continue;
  }

  const type = response.headers.get('content-type') ?? '';
  const text = await readText(response);
  const page = type.includes('text/html') ? parseLoginPage(text) : undefined;
  if (page) {
    if (loggedIn) {
      fail(`the OP refused the login ${JSON.stringify(agent)}: ${page.error ?? `it showed the sign-in page again (${status})`}`);
    }
    loggedIn = true;
    say(`signing in as ${JSON.stringify(agent)}`);
    url = new URL(page.action, url);
    method = 'POST';
    form = { login: agent };
    continue;
  }

  fail(`the OP answered ${status} to ${method} ${url.origin}${url.pathname}, not a redirect or the sign-in page: ${snippet(text)}`);
}
fail(`more than ${MAX_STEPS} steps without reaching the app's callback`);
