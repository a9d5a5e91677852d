// Test OpenID Provider with CIBA for the CIBA Desk test suite.
//
// Built on panva's oidc-provider (pinned in package.json). Start with
// `node op.mjs`; when ready it prints ONE line of JSON to stdout:
//   {"issuer":"http://127.0.0.1:PORT","control":"http://127.0.0.1:PORT/_test"}
// Everything else goes to stderr. See README.md for the env vars and the
// control API (/_test) that plays the role of the end-user's phone.
//
// Besides the customer-facing CIBA clients it is also an organisation's
// sign-in provider for ciba-desk-server: agents (OP_AGENTS, POST /_test/agents)
// get RFC 9068 JWT access tokens for the audience `ciba-desk` through
// `org-agent-client` (CIBA, approved through the control API) or through the
// desktop app's public native client `ciba-desk-app` (authorization code with
// PKCE and a loopback redirect, RFC 8252; the agent signs in at
// /interaction/:uid, which browser.mjs plays in tests), and POST /_test/mint
// signs arbitrary claims for negative tests.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

// oidc-provider prints NOTICEs with console.info; stdout is reserved for the
// ready line, so route every console method to stderr *before* loading it.
for (const m of ['log', 'info', 'debug']) console[m] = console.error;

const { default: Provider, errors } = await import('oidc-provider');

// ---------------------------------------------------------------- settings

const HOST = '127.0.0.1';
const PORT = envInt('OP_PORT', 0);
const INTERVAL = envInt('OP_INTERVAL', 1); // seconds, returned in the ack
const MAX_EXPIRY = envInt('OP_EXPIRES_IN', 600, 1); // default/max auth_req_id lifetime
const SLOW_DOWN = process.env.OP_SLOW_DOWN === '1'; // emulate slow_down (off by default)
const BINDING_MESSAGE_MAX = 64;
const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
// The organisation's sign-in client and the resource server it gets tokens for.
// A resource indicator must be an absolute URI (RFC 8707), so the resource is
// `urn:ciba-desk` and the access token's `aud` is the plain `ciba-desk`.
const ORG_CLIENT_ID = 'org-agent-client';
const ORG_CLIENT_SECRET = 'org-agent-secret';
const ORG_RESOURCE = 'urn:ciba-desk';
const ORG_AUDIENCE = 'ciba-desk';
const ORG_SCOPES = new Set(['agent']); // resource-server scopes of ORG_RESOURCE
const ORG_ALG = 'RS256';
// The desktop app signs agents in as a native app (RFC 8252): a public client
// (no secret, PKCE S256 required, as oidc-provider requires of every client with
// token_endpoint_auth_method `none`) redirecting to a loopback listener on an
// ephemeral port. Its access tokens are for ORG_RESOURCE too.
const DESK_CLIENT_ID = 'ciba-desk-app';
const DESK_REDIRECT_URI = 'http://127.0.0.1/callback'; // any port, see the client below
// The desktop app's refresh tokens, and the grants behind them, last a day
// (a grant expiring sooner would take its refresh token with it).
const DESK_REFRESH_TTL = 24 * 60 * 60;
// The clients whose access tokens are for ORG_RESOURCE, by default.
const ORG_RESOURCE_CLIENTS = new Set([ORG_CLIENT_ID, DESK_CLIENT_ID]);
// Expired artefacts are kept this long past `exp` so a late poll gets
// `expired_token` instead of `invalid_grant` ("not found").
const EXPIRED_GRACE_MS = 10 * 60 * 1000;

function envInt(name, dflt, min = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`op: ${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------- lifetime

function shutdown(code = 0) {
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));

// Exit when the parent closes our stdin, so the OP never outlives the test
// that spawned it. Only watched when stdin is a pipe/socket (what a parent
// process with piped stdin gives us); /dev/null or a TTY is not watched.
// OP_WATCH_STDIN=1 forces watching, OP_WATCH_STDIN=0 disables it.
{
  let watch;
  if (process.env.OP_WATCH_STDIN === '1') watch = true;
  else if (process.env.OP_WATCH_STDIN === '0') watch = false;
  else {
    try {
      const st = fs.fstatSync(0);
      watch = st.isFIFO() || st.isSocket();
    } catch {
      watch = false;
    }
  }
  if (watch) {
    process.stdin.on('data', () => {});
    process.stdin.on('end', () => shutdown(0));
    process.stdin.on('close', () => shutdown(0));
    process.stdin.on('error', () => shutdown(0));
    process.stdin.resume();
  }
}

// ---------------------------------------------------------------- accounts

const PEOPLE = [
  {
    hints: ['alice'],
    claims: {
      sub: 'alice',
      name: 'Alice Andersson',
      given_name: 'Alice',
      family_name: 'Andersson',
      email: 'alice@example.com',
      email_verified: true,
    },
  },
  {
    hints: ['bob@example.com'],
    claims: {
      sub: 'bob',
      name: 'Bob Berg',
      given_name: 'Bob',
      family_name: 'Berg',
      email: 'bob@example.com',
      email_verified: true,
    },
  },
  {
    hints: ['197010104327'],
    claims: {
      sub: 'se-197010104327',
      name: 'Sven Svensson',
      given_name: 'Sven',
      family_name: 'Svensson',
      ssn: '197010104327',
    },
  },
  {
    // The well-known Swedish test number: a valid personnummer, so it passes CIBA Desk's checks.
    hints: ['191212121212'],
    claims: {
      sub: 'se-191212121212',
      name: 'Tolvan Tolvansson',
      given_name: 'Tolvan',
      family_name: 'Tolvansson',
      ssn: '191212121212',
    },
  },
];
const BY_SUB = new Map(PEOPLE.map((p) => [p.claims.sub, p]));
const BY_HINT = new Map(PEOPLE.flatMap((p) => p.hints.map((h) => [h, p])));

// Load and scale-out tests need many customers: any other Swedish personnummer of the
// 1960s with a valid check digit is a synthetic person, "Person NNNN", with that ssn.
function luhnValid(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[i]) * (i % 2 === 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return sum % 10 === 0;
}
function syntheticPerson(ssn) {
  if (!/^196\d{9}$/.test(ssn) || !luhnValid(ssn.slice(2))) return undefined;
  return {
    hints: [ssn],
    claims: {
      sub: `se-${ssn}`,
      name: `Person ${ssn.slice(-4)}`,
      given_name: 'Person',
      family_name: ssn.slice(-4),
      ssn,
    },
  };
}
function personBySub(sub) {
  return BY_SUB.get(sub) ?? (sub.startsWith('se-') ? syntheticPerson(sub.slice(3)) : undefined);
}

// The organisation's agents: sub -> { sub, name?, preferred_username?, roles }.
// Only `org-agent-client` can start a CIBA request for them (login_hint = sub),
// and that client can reach no one else.
const AGENTS = new Map();

// Validates one agent given as JSON; throws an Error with a readable message.
function parseAgent(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('an agent must be an object like {"sub":"a1","name":"Agent One","roles":["agent"]}');
  }
  const { sub, name, preferred_username: username, roles = [] } = value;
  if (typeof sub !== 'string' || sub === '') throw new Error('agent.sub must be a non-empty string');
  if (BY_SUB.has(sub)) throw new Error(`agent.sub ${JSON.stringify(sub)} is taken by a built-in account`);
  for (const [field, v] of [['name', name], ['preferred_username', username]]) {
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw new Error(`agent.${field} must be a string when given`);
    }
  }
  if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string')) {
    throw new Error('agent.roles must be an array of strings');
  }
  const agent = { sub, roles: [...roles] };
  if (typeof name === 'string') agent.name = name;
  if (typeof username === 'string') agent.preferred_username = username;
  return agent;
}

if (process.env.OP_AGENTS) {
  try {
    const list = JSON.parse(process.env.OP_AGENTS);
    if (!Array.isArray(list)) throw new Error('OP_AGENTS must be a JSON array');
    for (const a of list) {
      const agent = parseAgent(a);
      AGENTS.set(agent.sub, agent);
    }
  } catch (err) {
    console.error(`op: invalid OP_AGENTS: ${err.message}`);
    process.exit(2);
  }
}

// The claims of an agent that go into its access tokens for `ciba-desk`.
function agentTokenClaims(agent) {
  const claims = { roles: [...agent.roles] };
  if (agent.name !== undefined) claims.name = agent.name;
  if (agent.preferred_username !== undefined) claims.preferred_username = agent.preferred_username;
  return claims;
}

function isOrgClient(ctx) {
  return ctx?.oidc?.client?.clientId === ORG_CLIENT_ID;
}

function isDeskClient(client) {
  return client?.clientId === DESK_CLIENT_ID;
}

async function findAccount(_ctx, sub) {
  const person = personBySub(sub);
  if (person) {
    return {
      accountId: sub,
      // oidc-provider filters these by the granted scopes/claims.
      async claims() {
        return { ...person.claims };
      },
    };
  }
  if (AGENTS.has(sub)) {
    return {
      accountId: sub,
      async claims() {
        const agent = AGENTS.get(sub) ?? { sub };
        const claims = { sub };
        if (agent.name !== undefined) claims.name = agent.name;
        if (agent.preferred_username !== undefined) claims.preferred_username = agent.preferred_username;
        return claims;
      },
    };
  }
  return undefined;
}

// ---------------------------------------------------------------- keys

function signingKeys(prefix = '') {
  const tag = crypto.randomBytes(4).toString('hex');
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return [
    { ...rsa.export({ format: 'jwk' }), kid: `${prefix}rsa-${tag}`, use: 'sig', alg: 'RS256' },
    { ...ec.export({ format: 'jwk' }), kid: `${prefix}ec-${tag}`, use: 'sig', alg: 'ES256' },
  ];
}

// The OP's own signing keys (private JWKs; oidc-provider publishes the public
// halves at /jwks). Kept here too so /_test/mint can sign with them.
const OP_KEYS = signingKeys();
// Keys the OP never publishes, for /_test/mint {"key":"foreign"}; made on first use.
let foreignKeys;

// ---------------------------------------------------------------- adapter

// In-memory storage adapter. Unlike oidc-provider's bundled memory adapter
// it keeps entries for EXPIRED_GRACE_MS after they expire, so polling an
// expired auth_req_id yields `expired_token` (the grant handler checks
// expiry itself) rather than "not found".
const store = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const lastPoll = new Map(); // auth_req_id -> ms of last poll (slow_down emulation)

function sweep() {
  const now = Date.now();
  for (const [key, entry] of store) {
    if (entry.expiresAt + EXPIRED_GRACE_MS < now) store.delete(key);
  }
}

class TestAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  get(id) {
    const entry = store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt + EXPIRED_GRACE_MS < Date.now()) {
      store.delete(this.key(id));
      return undefined;
    }
    return entry.payload;
  }

  async upsert(id, payload, expiresIn) {
    sweep();
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(this.key(id), { payload, expiresAt });
  }

  async find(id) {
    const payload = this.get(id);
    if (SLOW_DOWN && payload && this.model === 'BackchannelAuthenticationRequest') {
      checkPollRate(id, payload);
    }
    return payload;
  }

  async findByUid(uid) {
    for (const [key, { payload }] of store) {
      if (key.startsWith(`${this.model}:`) && payload.uid === uid) return payload;
    }
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const [key, { payload }] of store) {
      if (key.startsWith(`${this.model}:`) && payload.userCode === userCode) return payload;
    }
    return undefined;
  }

  async consume(id) {
    const payload = this.get(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const [key, { payload }] of store) {
      if (payload.grantId === grantId) store.delete(key);
    }
  }
}

// Optional (OP_SLOW_DOWN=1): answer `slow_down` to a token-endpoint poll of a
// still-pending request that arrives less than INTERVAL seconds after the
// previous poll (or after the acknowledgement). oidc-provider itself never
// sends slow_down for CIBA.
function checkPollRate(id, payload) {
  const ctx = Provider.ctx;
  if (ctx?.oidc?.route !== 'token') return;
  const now = Date.now();
  const previous = lastPoll.get(id) ?? payload.iat * 1000; // set at ack time
  lastPoll.set(id, now);
  const pending = !payload.grantId && !payload.error;
  const expired = payload.exp * 1000 <= now;
  if (pending && !expired && now - previous < INTERVAL * 1000 - 50) {
    throw new errors.SlowDown(`poll again in no less than ${INTERVAL} s`);
  }
}

// ---------------------------------------------------------------- CIBA

// auth_req_id (== BackchannelAuthenticationRequest jti) -> record
const requests = new Map();

async function processLoginHint(ctx, loginHint) {
  // undefined -> unknown_user_id
  if (isOrgClient(ctx)) return AGENTS.has(loginHint) ? loginHint : undefined;
  return (BY_HINT.get(loginHint) ?? syntheticPerson(loginHint))?.claims.sub;
}

async function processLoginHintToken(_ctx, loginHintToken) {
  // Test format: a JSON object string, {"sub":"alice"} or {"login_hint":"alice"}.
  let parsed;
  try {
    parsed = JSON.parse(loginHintToken);
  } catch {
    throw new errors.InvalidRequest('login_hint_token must be a JSON object like {"sub":"alice"}');
  }
  if (parsed === null || typeof parsed !== 'object') {
    throw new errors.InvalidRequest('login_hint_token must be a JSON object like {"sub":"alice"}');
  }
  const known = isOrgClient(_ctx) ? AGENTS : BY_SUB;
  if (typeof parsed.sub === 'string' && known.has(parsed.sub)) return parsed.sub;
  if (typeof parsed.login_hint === 'string') return processLoginHint(_ctx, parsed.login_hint);
  return undefined;
}

async function validateBindingMessage(_ctx, bindingMessage) {
  if (bindingMessage === undefined) return;
  if ([...bindingMessage].length > BINDING_MESSAGE_MAX) {
    throw new errors.InvalidBindingMessage(
      `binding_message must not exceed ${BINDING_MESSAGE_MAX} characters`,
    );
  }
}

async function triggerAuthenticationDevice(_ctx, request, account, client) {
  const p = request.params ?? {};
  let loginHint = p.login_hint;
  if (loginHint === undefined && p.login_hint_token !== undefined) loginHint = p.login_hint_token;
  if (loginHint === undefined && p.id_token_hint !== undefined) loginHint = 'id_token_hint';
  const record = {
    view: {
      auth_req_id: request.jti,
      client_id: client.clientId,
      login_hint: loginHint ?? null,
      sub: account.accountId,
      binding_message: p.binding_message ?? null,
      scope: request.scope,
      status: 'pending',
      expires_at: Math.floor(Date.now() / 1000) + request.expiration,
    },
  };
  requests.set(request.jti, record);
  lastPoll.set(request.jti, Date.now());
  console.error(`op: CIBA request ${request.jti} client=${client.clientId} sub=${account.accountId} scope="${request.scope}"`);
}

// ---------------------------------------------------------------- clients

function cibaClient(extra) {
  return {
    grant_types: [CIBA_GRANT],
    response_types: [],
    redirect_uris: [],
    backchannel_token_delivery_mode: 'poll',
    ...extra,
  };
}

const clients = [
  cibaClient({
    client_id: 'basic-client',
    client_secret: 'basic-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }),
  cibaClient({
    client_id: 'post-client',
    client_secret: 'post-secret',
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
  }),
  // The organisation's sign-in client: its access tokens are JWTs for ORG_RESOURCE.
  cibaClient({
    client_id: ORG_CLIENT_ID,
    client_secret: ORG_CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }),
  // The desktop app (RFC 8252 native app): authorization code + PKCE in the
  // system browser, code received on http://127.0.0.1:<ephemeral port>/callback.
  // oidc-provider 9 itself accepts any port there: for a client with
  // application_type `native`, Client#redirectUriAllowed compares a loopback
  // http redirect_uri (127.0.0.1, [::1], localhost) to the registered ones with
  // the port removed (RFC 8252 §7.3), so no redirectUriAllowed override is
  // needed. Host, scheme, path and query must still match exactly:
  // http://localhost:PORT/callback or http://127.0.0.1:PORT/other are refused.
  {
    client_id: DESK_CLIENT_ID,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [DESK_REDIRECT_URI],
    id_token_signed_response_alg: 'RS256',
  },
];

// The public keys the private-key and mutual-TLS clients sign with (requests,
// assertions), from OP_CLIENT_JWKS.
let clientJwks;
if (process.env.OP_CLIENT_JWKS) {
  try {
    clientJwks = JSON.parse(process.env.OP_CLIENT_JWKS);
  } catch (err) {
    console.error(`op: OP_CLIENT_JWKS is not valid JSON: ${err.message}`);
    process.exit(2);
  }
}
if (clientJwks) {
  const jwks = clientJwks;
  clients.push(cibaClient({
    client_id: 'jwt-client',
    token_endpoint_auth_method: 'private_key_jwt',
    // token_endpoint_auth_signing_alg left unset: any of
    // clientAuthSigningAlgValues (RS256, PS256, ES256) is accepted.
    id_token_signed_response_alg: 'RS256',
    jwks,
  }));
  // Signed authentication requests (CIBA Core 7.1.1): these clients must send
  // every request as a request object signed with the preregistered algorithm.
  // signed-ec-client is also what FAPI-CIBA asks of a client: ES256 for its
  // assertions, its requests and its ID tokens.
  for (const [clientId, alg, idTokenAlg] of [
    ['signed-client', 'PS256', 'RS256'],
    ['signed-ec-client', 'ES256', 'ES256'],
  ]) {
    clients.push(cibaClient({
      client_id: clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      backchannel_authentication_request_signing_alg: alg,
      id_token_signed_response_alg: idTokenAlg,
      jwks,
    }));
  }
}

// Mutual TLS (RFC 8705), served only over HTTPS. OP_MTLS_CLIENT_CA (PEM): the CA
// whose certificates with the subject CN=mtls-client authenticate `mtls-client`
// (tls_client_auth). OP_MTLS_SELF_SIGNED (PEM): the certificate registered for
// `self-signed-client` (self_signed_tls_client_auth). Both get access tokens
// bound to their certificate, ES256 ID tokens, and may sign requests with the
// keys of OP_CLIENT_JWKS. Certificates are asked for on a second port only, the
// one the discovery document's mtls_endpoint_aliases name.
const MTLS_CLIENT_CA = process.env.OP_MTLS_CLIENT_CA || undefined;
const MTLS_SELF_SIGNED = process.env.OP_MTLS_SELF_SIGNED || undefined;
// OP_MTLS_STRICT=1: the mutual-TLS port ends the handshake of a client without a
// certificate from OP_MTLS_CLIENT_CA, as providers that check certificates in
// their TLS front end do (self-signed certificates cannot pass then).
const MTLS_STRICT = process.env.OP_MTLS_STRICT === '1';
if (MTLS_CLIENT_CA) {
  clients.push(cibaClient({
    client_id: 'mtls-client',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: 'CN=mtls-client',
    tls_client_certificate_bound_access_tokens: true,
    id_token_signed_response_alg: 'ES256',
    ...(clientJwks ? { jwks: clientJwks } : {}),
  }));
}
if (MTLS_SELF_SIGNED) {
  let certificate;
  try {
    certificate = new crypto.X509Certificate(MTLS_SELF_SIGNED);
  } catch (err) {
    console.error(`op: OP_MTLS_SELF_SIGNED is not a PEM certificate: ${err.message}`);
    process.exit(2);
  }
  const registered = {
    ...certificate.publicKey.export({ format: 'jwk' }),
    kid: 'self-signed-certificate',
    use: 'sig',
    x5c: [certificate.raw.toString('base64')],
  };
  clients.push(cibaClient({
    client_id: 'self-signed-client',
    token_endpoint_auth_method: 'self_signed_tls_client_auth',
    tls_client_certificate_bound_access_tokens: true,
    id_token_signed_response_alg: 'ES256',
    jwks: { keys: [...(clientJwks?.keys ?? []), registered] },
  }));
}

// oidc-provider's client schema requires backchannel_client_notification_endpoint
// to be https (as the CIBA spec says). For loopback http endpoints we register
// the https form of the URL and the custom `fetch` below sends the ping to the
// real http URL. (The same `fetch` also drops oidc-provider's SSRF-protecting
// dispatcher, which would otherwise refuse to connect to 127.0.0.1.)
const pingRewrite = new Map(); // registered https href -> real http href
if (process.env.OP_PING_ENDPOINT) {
  let endpoint;
  try {
    endpoint = new URL(process.env.OP_PING_ENDPOINT);
  } catch {
    console.error(`op: OP_PING_ENDPOINT is not a URL: ${process.env.OP_PING_ENDPOINT}`);
    process.exit(2);
  }
  let registered = endpoint.href;
  if (endpoint.protocol === 'http:') {
    const https = new URL(endpoint.href);
    https.protocol = 'https:';
    if (https.port === '') https.port = '80'; // keep the real port
    registered = https.href;
    pingRewrite.set(registered, endpoint.href);
  }
  clients.push(cibaClient({
    client_id: 'ping-client',
    client_secret: 'ping-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
    backchannel_token_delivery_mode: 'ping',
    backchannel_client_notification_endpoint: registered,
  }));
}

async function testFetch(url, options) {
  const href = String(url);
  const target = pingRewrite.get(href) ?? href;
  delete options.dispatcher;
  console.error(`op: outgoing ${options.method ?? 'GET'} ${target}`);
  return globalThis.fetch(target, options);
}

// ---------------------------------------------------------------- provider

// OP_TLS_CERT and OP_TLS_KEY (PEM text): served over HTTPS with that certificate,
// for tests of providers behind a private certificate authority.
const TLS = process.env.OP_TLS_CERT && process.env.OP_TLS_KEY
  ? { cert: process.env.OP_TLS_CERT, key: process.env.OP_TLS_KEY }
  : undefined;
if ((MTLS_CLIENT_CA || MTLS_SELF_SIGNED) && !TLS) {
  console.error('op: mutual TLS (OP_MTLS_CLIENT_CA, OP_MTLS_SELF_SIGNED) needs OP_TLS_CERT and OP_TLS_KEY');
  process.exit(2);
}
async function listen(server, port) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  return server.address().port;
}
// Scopes -> the claims they release (ID token, userinfo). `agent` is also the
// resource-server scope of ORG_RESOURCE; as an OpenID scope it puts the
// agent's `name` / `preferred_username` in the ID token of ciba-desk-app, which
// asks for `openid agent offline_access` and no `profile`. Only a grant that has
// `agent` as an OpenID scope releases them: the desktop app's sign-in grants it
// so (grantLogin), org-agent-client's CIBA approval does not (approve), so its
// ID token still carries `sub` only.
const CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'email', 'email_verified', 'ssn'],
  email: ['email', 'email_verified'],
  agent: ['name', 'preferred_username'],
};
// The OpenID scopes (oidc-provider's `scopes` default plus the claim scopes).
const OIDC_SCOPES = new Set(['openid', 'offline_access', ...Object.keys(CLAIMS)]);

const server = TLS ? https.createServer(TLS) : http.createServer();
const port = await listen(server, PORT);
const issuer = `${TLS ? 'https' : 'http'}://${HOST}:${port}`;
// The mutual-TLS port asks every client for a certificate and lets oidc-provider
// judge it (certificateAuthorized, the registered subject or certificate).
const mtlsServer = (MTLS_CLIENT_CA || MTLS_SELF_SIGNED)
  ? https.createServer({
    ...TLS,
    requestCert: true,
    rejectUnauthorized: MTLS_STRICT,
    ...(MTLS_CLIENT_CA ? { ca: MTLS_CLIENT_CA } : {}),
  })
  : undefined;
const mtlsOrigin = mtlsServer ? `https://${HOST}:${await listen(mtlsServer, 0)}` : undefined;

// The client certificate of the connection a request came on, if it showed one.
function peerCertificate(ctx) {
  const peer = ctx.socket?.getPeerCertificate?.();
  return peer?.raw ? new crypto.X509Certificate(peer.raw) : undefined;
}

const provider = new Provider(issuer, {
  adapter: TestAdapter,
  clients,
  findAccount,
  jwks: { keys: OP_KEYS.map((k) => ({ ...k })) },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  // oidc-provider takes the mutual-TLS methods only with its mTLS feature on.
  clientAuthMethods: [
    'client_secret_basic', 'client_secret_post', 'private_key_jwt',
    'none', // public clients: ciba-desk-app
    ...(mtlsServer ? ['tls_client_auth', 'self_signed_tls_client_auth'] : []),
  ],
  ...(mtlsOrigin ? {
    discovery: {
      claim_types_supported: ['normal'],
      mtls_endpoint_aliases: {
        token_endpoint: `${mtlsOrigin}/token`,
        backchannel_authentication_endpoint: `${mtlsOrigin}/backchannel`,
      },
    },
  } : {}),
  enabledJWA: {
    clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
    idTokenSigningAlgValues: ['RS256', 'ES256'],
    // Advertised as backchannel_authentication_request_signing_alg_values_supported.
    requestObjectSigningAlgValues: ['PS256', 'ES256'],
  },
  // Identity claims go into the ID token itself (the client doesn't call
  // userinfo). For test convenience `profile` also carries email and ssn.
  conformIdTokenClaims: false,
  claims: CLAIMS,
  // `roles`, `name` / `preferred_username` of the agent in its access tokens
  // for ciba-desk (RFC 9068 JWTs); nothing for any other token.
  async extraTokenClaims(_ctx, token) {
    if (token.kind !== 'AccessToken' || token.resourceServer?.identifier() !== ORG_RESOURCE) {
      return undefined;
    }
    const agent = AGENTS.get(token.accountId);
    return agent ? agentTokenClaims(agent) : undefined;
  },
  // Refresh tokens. oidc-provider's default issues one only when the code's
  // scope has offline_access, and it drops offline_access from an authorization
  // request unless that request has prompt=consent (OIDC Core §11). The desktop
  // app asks for `openid agent offline_access` without prompt=consent, so for
  // ciba-desk-app every code redeems for a refresh token too; every other
  // client keeps the default.
  async issueRefreshToken(_ctx, client, code) {
    if (!client.grantTypeAllowed('refresh_token')) return false;
    return isDeskClient(client) || code.scopes.has('offline_access');
  },
  // ... and they do not end with the agent's session at the OP (the browser's
  // cookie): a native app stays signed in until its refresh token or grant
  // expires. Others keep the default (bound to the session without offline_access).
  async expiresWithSession(ctx, code) {
    return !isDeskClient(ctx.oidc.client) && !code.scopes.has('offline_access');
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: false },
    // Only org-agent-client and ciba-desk-app have a resource server
    // (ORG_RESOURCE), and they get it by default; every other client asks for
    // none and gets what it always got (opaque access tokens for userinfo).
    resourceIndicators: {
      enabled: true,
      async defaultResource(ctx, client, oneOf) {
        if (oneOf) return oneOf;
        return ORG_RESOURCE_CLIENTS.has(client?.clientId) ? ORG_RESOURCE : undefined;
      },
      // The CIBA request / authorization request carries the resource; the
      // token request (auth_req_id, code or refresh_token) has none, so the
      // token is for the granted resource even though the scope includes openid.
      async useGrantedResource(ctx) {
        return ORG_RESOURCE_CLIENTS.has(ctx?.oidc?.client?.clientId);
      },
      async getResourceServerInfo(_ctx, resource, client) {
        if (resource === ORG_RESOURCE && ORG_RESOURCE_CLIENTS.has(client?.clientId)) {
          return {
            scope: [...ORG_SCOPES].join(' '),
            audience: ORG_AUDIENCE,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: ORG_ALG } },
          };
        }
        throw new errors.InvalidTarget(`unknown resource ${resource}`);
      },
    },
    pushedAuthorizationRequests: { enabled: false },
    requestObjects: { enabled: true },
    mTLS: {
      enabled: Boolean(mtlsServer),
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      selfSignedTlsClientAuth: true,
      getCertificate: peerCertificate,
      certificateAuthorized: (ctx) => ctx.socket?.authorized === true,
      certificateSubjectMatches(ctx, property, expected) {
        return property === 'tls_client_auth_subject_dn'
          && peerCertificate(ctx)?.subject === expected;
      },
    },
    ciba: {
      enabled: true,
      deliveryModes: ['poll', 'ping'],
      processLoginHint,
      processLoginHintToken,
      validateBindingMessage,
      validateRequestContext: async () => {},
      verifyUserCode: async () => {},
      triggerAuthenticationDevice,
    },
  },
  ttl: {
    // Same rule as oidc-provider's default: requested_expiry, capped.
    BackchannelAuthenticationRequest(ctx) {
      const requested = +(ctx?.oidc?.params?.requested_expiry ?? NaN);
      return Number.isSafeInteger(requested) && requested > 0
        ? Math.min(requested, MAX_EXPIRY)
        : MAX_EXPIRY;
    },
    AccessToken: 600,
    Grant(_ctx, grant) {
      return grant?.clientId === DESK_CLIENT_ID ? DESK_REFRESH_TTL : 600;
    },
    IdToken: 600,
    RefreshToken: DESK_REFRESH_TTL, // only ciba-desk-app gets refresh tokens
    Interaction: 600, // the agent's sign-in page
    Session: DESK_REFRESH_TTL, // the agent's browser session at the OP
  },
  fetch: testFetch,
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
});

// oidc-provider validates static clients lazily (on first use); do it now so
// a bad OP_CLIENT_JWKS / OP_PING_ENDPOINT fails at startup, not mid-test.
for (const { client_id: id } of clients) {
  try {
    await provider.Client.find(id);
  } catch (err) {
    console.error(`op: invalid client ${id}: ${err.error_description ?? err.message}`);
    process.exit(2);
  }
}

// oidc-provider's acknowledgement has only auth_req_id and expires_in; add
// the polling interval (CIBA §7.3) here.
provider.use(async (ctx, next) => {
  await next();
  if (
    ctx.oidc?.route === 'backchannel_authentication'
    && ctx.status === 200
    && ctx.body && typeof ctx.body === 'object' && ctx.body.auth_req_id
  ) {
    ctx.body = { ...ctx.body, interval: INTERVAL };
  }
});

provider.on('server_error', (_ctx, err) => console.error('op: server_error', err));
provider.on('backchannel_authentication.error', (_ctx, err) => console.error(`op: backchannel error ${err.error}: ${err.error_description}`));
provider.on('grant.error', (_ctx, err) => {
  if (err.error !== 'authorization_pending') console.error(`op: token error ${err.error}: ${err.error_description}`);
});

// ---------------------------------------------------------------- control API

function sendJson(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
  });
  res.end(data);
}

async function approve(request) {
  const grant = new provider.Grant({ clientId: request.clientId, accountId: request.accountId });
  if (request.resource) {
    // Resource indicators (only ORG_RESOURCE exists): its scopes go to the
    // resource, the rest are OpenID scopes.
    const scopes = request.scope.split(' ');
    for (const resource of [request.resource].flat()) {
      grant.addResourceScope(resource, scopes.filter((s) => ORG_SCOPES.has(s)).join(' '));
    }
    grant.addOIDCScope(scopes.filter((s) => !ORG_SCOPES.has(s)).join(' '));
  } else {
    grant.addOIDCScope(request.scope);
  }
  // Claims asked for with the `claims` request parameter, if any.
  const requested = new Set();
  for (const container of ['id_token', 'userinfo']) {
    for (const claim of Object.keys(request.claims?.[container] ?? {})) requested.add(claim);
  }
  if (requested.size) grant.addOIDCClaims([...requested]);
  await grant.save();
  await provider.backchannelResult(request, grant, {
    authTime: Math.floor(Date.now() / 1000),
  });
}

async function deny(request) {
  await provider.backchannelResult(
    request,
    new errors.AccessDenied('end-user denied the authentication request'),
  );
}

const MAX_BODY = 64 * 1024;

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw Object.assign(new Error('body must be JSON'), { status: 400 });
  }
}

function badRequest(message) {
  return Object.assign(new Error(message), { status: 400 });
}

const b64u = (data) => Buffer.from(data).toString('base64url');

// Signs `claims` as a JWS (compact) exactly as given: no claim is added or
// checked. Test-only; see README "Minting tokens".
function mint(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('body must be an object like {"claims":{...},"key":"op","alg":"RS256"}');
  }
  const { claims, key = 'op', alg = 'RS256', header = {}, secret } = body;
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw badRequest('claims must be a JSON object');
  }
  if (key !== 'op' && key !== 'foreign') throw badRequest('key must be "op" or "foreign"');
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw badRequest('header must be a JSON object');
  }
  if (secret !== undefined && typeof secret !== 'string') throw badRequest('secret must be a string');

  let keys = OP_KEYS;
  if (key === 'foreign') {
    foreignKeys ??= signingKeys('foreign-');
    keys = foreignKeys;
  }
  const [rsa, ec] = keys;
  const privateKey = (jwk) => crypto.createPrivateKey({ key: jwk, format: 'jwk' });

  const protectedHeader = { alg, typ: 'at+jwt' };
  let sign;
  switch (alg) {
    case 'RS256':
      protectedHeader.kid = rsa.kid;
      sign = (input) => crypto.sign('sha256', input, privateKey(rsa));
      break;
    case 'PS256':
      protectedHeader.kid = rsa.kid;
      sign = (input) => crypto.sign('sha256', input, {
        key: privateKey(rsa),
        padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
      break;
    case 'ES256':
      protectedHeader.kid = ec.kid;
      sign = (input) => crypto.sign('sha256', input, { key: privateKey(ec), dsaEncoding: 'ieee-p1363' });
      break;
    case 'HS256': {
      // Default secret: the RSA key's public PEM (the classic alg-confusion
      // attack against a verifier that feeds its "key" to whatever alg it's told).
      const hmacKey = secret ?? crypto.createPublicKey({ key: rsa, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' });
      sign = (input) => crypto.createHmac('sha256', hmacKey).update(input).digest();
      break;
    }
    case 'none':
      sign = () => Buffer.alloc(0);
      break;
    default:
      throw badRequest('alg must be one of RS256, PS256, ES256, HS256, none');
  }
  for (const [name, value] of Object.entries(header)) {
    if (value === null) delete protectedHeader[name];
    else protectedHeader[name] = value;
  }
  const input = `${b64u(JSON.stringify(protectedHeader))}.${b64u(JSON.stringify(claims))}`;
  return { token: `${input}.${b64u(sign(input))}`, header: protectedHeader };
}

async function control(req, res, path) {
  if (path === '/deny-next-login') {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
    req.resume(); // any body is ignored
    denyNextLogin = true;
    console.error('op: the next agent sign-in will be refused (access_denied)');
    return sendJson(res, 200, { ok: true });
  }

  if (path === '/mint') {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
    return sendJson(res, 200, mint(await readJson(req)));
  }

  if (path === '/agents' || path === '/agents/') {
    if (req.method === 'GET') return sendJson(res, 200, [...AGENTS.values()]);
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
    let agent;
    try {
      agent = parseAgent(await readJson(req));
    } catch (err) {
      throw Object.assign(err, { status: err.status ?? 400 });
    }
    AGENTS.set(agent.sub, agent);
    console.error(`op: agent ${agent.sub} roles=${JSON.stringify(agent.roles)}`);
    return sendJson(res, 200, agent);
  }

  if (path === '/requests' || path === '/requests/') {
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'method not allowed' });
    const filter = new URL(req.url, issuer).searchParams;
    const list = [...requests.values()].map((r) => r.view).filter((v) => {
      for (const [k, val] of filter) if (String(v[k]) !== val) return false;
      return true;
    });
    return sendJson(res, 200, list);
  }

  const m = /^\/requests\/([^/]+)(?:\/(approve|deny))?$/.exec(path);
  if (!m) return sendJson(res, 404, { error: 'not found' });
  const id = decodeURIComponent(m[1]);
  const action = m[2];
  const record = requests.get(id);
  if (!record) return sendJson(res, 404, { error: 'unknown auth_req_id', auth_req_id: id });

  if (!action) {
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'method not allowed' });
    return sendJson(res, 200, record.view);
  }
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
  req.resume(); // any body is ignored
  if (record.view.status !== 'pending') {
    return sendJson(res, 409, { error: `request already ${record.view.status}` });
  }
  const status = action === 'approve' ? 'approved' : 'denied';
  record.view.status = status; // claim it now; concurrent calls get 409
  // Reload the stored request: it carries the real iat/exp, so completing it
  // neither extends its lifetime nor resurrects an expired one.
  const request = await provider.BackchannelAuthenticationRequest.find(id, {
    ignoreExpiration: true,
  });
  if (!request || request.isExpired) {
    record.view.status = 'pending';
    return sendJson(res, 409, { error: 'request expired' });
  }

  try {
    await (action === 'approve' ? approve(request) : deny(request));
  } catch (err) {
    if (request.grantId || request.error) {
      // The result was stored; only the ping notification failed.
      console.error(`op: ping for ${id} failed: ${err.message}`);
      return sendJson(res, 200, { ok: true, ping_error: err.message });
    }
    record.view.status = 'pending';
    console.error(`op: ${action} ${id} failed`, err);
    return sendJson(res, 500, { error: err.message });
  }
  console.error(`op: ${action} ${id}`);
  return sendJson(res, 200, { ok: true });
}

// ---------------------------------------------------------------- agent sign-in

// The interaction pages (oidc-provider's devInteractions stay off): the
// browser sign-in of an agent for ciba-desk-app (or any client that sends an
// authorization request). GET /interaction/:uid shows a form asking for the
// agent's sub; POST /interaction/:uid/login signs a known agent in and grants
// what was asked for, with no consent page. POST /_test/deny-next-login makes
// the next submitted sign-in end with access_denied (the agent refused).
let denyNextLogin = false;

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
  });
  res.end(html);
}

function loginPage(res, status, interaction, error) {
  const uid = escapeHtml(interaction.uid);
  const client = escapeHtml(interaction.params.client_id ?? '');
  sendHtml(res, status, `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in to ${client}</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>\n` : ''}<form method="post" action="/interaction/${uid}/login">
<label>Agent <input type="text" name="login" autocomplete="username" autofocus required></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The grant for what the authorization request asked for (params as the
// interaction stored them, after oidc-provider applied the default resource
// and dropped what it does not allow): its OpenID scopes (openid, and
// offline_access when it survived, agent for the agent's name in the ID token)
// and, for each resource, the scopes of that resource (ORG_SCOPES).
async function grantLogin(interaction, accountId) {
  const { params } = interaction;
  // Adds to the grant this browser session already has for the client, if it
  // is this agent's; else starts a new one.
  let grant = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  if (grant?.accountId !== accountId) grant = new provider.Grant({ clientId: params.client_id, accountId });
  const scopes = (params.scope ?? '').split(' ').filter(Boolean);
  grant.addOIDCScope(scopes.filter((s) => OIDC_SCOPES.has(s)).join(' '));
  for (const resource of [params.resource ?? []].flat()) {
    grant.addResourceScope(resource, scopes.filter((s) => ORG_SCOPES.has(s)).join(' '));
  }
  return grant.save();
}

async function interactionRoute(req, res, path) {
  const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(path);
  if (!m) return sendJson(res, 404, { error: 'not found' });
  const [, uid, login] = m;
  if (req.method !== (login ? 'POST' : 'GET')) return sendJson(res, 405, { error: 'method not allowed' });

  // Needs the interaction cookie that oidc-provider set (path /interaction/<uid>).
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) throw badRequest('this sign-in page belongs to another sign-in');
  if (!login) return loginPage(res, 200, interaction);

  const form = await readForm(req);
  if (denyNextLogin) {
    denyNextLogin = false;
    console.error(`op: sign-in ${uid} refused (deny-next-login)`);
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'The agent refused to sign in',
    }, { mergeWithLastSubmission: false });
  }
  const sub = form.get('login') ?? '';
  if (!AGENTS.has(sub)) {
    console.error(`op: sign-in ${uid}: unknown agent ${JSON.stringify(sub)}`);
    return loginPage(res, 400, interaction, `Unknown agent ${JSON.stringify(sub)}`);
  }
  const grantId = await grantLogin(interaction, sub);
  console.error(`op: sign-in ${uid}: agent ${sub} for ${interaction.params.client_id}`);
  return provider.interactionFinished(req, res, {
    login: { accountId: sub },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const oidc = provider.callback();
server.on('request', (req, res) => {
  const path = req.url.split('?')[0];
  if (path.startsWith('/interaction/')) {
    interactionRoute(req, res, path).catch((err) => {
      // oidc-provider's errors (e.g. SessionNotFound: no or an expired
      // interaction cookie) carry error / error_description and a status.
      const status = err.statusCode ?? err.status ?? 500;
      if (status >= 500) console.error('op: interaction error', err);
      if (!res.headersSent) {
        sendJson(res, status, {
          error: err.error ?? (status >= 500 ? 'server_error' : 'invalid_request'),
          error_description: err.error_description ?? err.message,
        });
      }
    });
    return;
  }
  if (path === '/_test' || path.startsWith('/_test/')) {
    control(req, res, path.slice('/_test'.length)).catch((err) => {
      if (err.status && err.status < 500) {
        if (!res.headersSent) sendJson(res, err.status, { error: err.message });
        return;
      }
      console.error('op: control API error', err);
      if (!res.headersSent) sendJson(res, 500, { error: err.message });
    });
    return;
  }
  oidc(req, res);
});
// Only the provider's own endpoints on the mutual-TLS port (the control API stays on the first).
mtlsServer?.on('request', oidc);

process.stdout.write(`${JSON.stringify({ issuer, control: `${issuer}/_test` })}\n`);
