// Malformed input against every API endpoint, generated from the app's route table (and the
// OpenAPI document for body and query shapes), so a new route is swept without editing this
// file. The rule: a 4xx in the error shape, never a 5xx.
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../server/features/auth/session-issue.js';
import { isErrorShape, registerUser, type ApiResponse, type TestUser } from '../helpers/api.js';
import { apiRoutes, fillParams, paramsOf, type AppRoute } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let owner: TestUser;
let spec: OpenApi;

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  maxLength?: number;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};
type Operation = {
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  parameters?: Array<{ in: string; name: string; schema?: JsonSchema }>;
};
type OpenApi = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
};

beforeAll(async () => {
  // Throttles are tested elsewhere; here they would only hide deeper code paths.
  t = await startTestServer({
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '10000',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
    RATE_LIMIT_SIGNUPS_PER_HOUR: '100000',
    RATE_LIMIT_SEARCHES_PER_MINUTE: '100000',
  });
  owner = await registerUser(t.api); // a server admin: the deepest access there is
  const doc = (t.server.app as unknown as { swagger(): unknown }).swagger();
  // The app's document references named schemas without defining them (see the `.fails` test
  // below); fill them in from the zod registry the same way the app should.
  spec = jsonSchemaTransformObject({ openapiObject: doc } as never) as unknown as OpenApi;
});
afterAll(async () => {
  await t?.close();
});

/** A fresh session per request, so a request that signs out cannot spoil the next one. */
async function token(): Promise<string> {
  const s = await startSession(t.deps, owner.id, false, { ip: null, userAgent: 'sweep' });
  return s.accessToken;
}

const MISSING_ID = 987_654_321;
/** Routes of the accounts layer, held to exact answers; other routes to the general rule. */
const ACCOUNTS = /^\/api\/(auth|users|admin)\//;

function resolve(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  return resolve(spec.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')]);
}

function operationOf(route: AppRoute): Operation | undefined {
  const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  return spec.paths[path]?.[route.method.toLowerCase()];
}

function jsonBodySchema(route: AppRoute): JsonSchema | undefined {
  return resolve(operationOf(route)?.requestBody?.content?.['application/json']?.schema);
}

function typeOf(schema: JsonSchema | undefined): string | undefined {
  const s = resolve(schema);
  if (!s) return undefined;
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return s.type.find((x) => x !== 'null');
  const branch = (s.anyOf ?? s.oneOf)?.map(resolve).find((b) => b && b.type !== 'null');
  return branch ? typeOf(branch) : undefined;
}

/** A plausible value of a schema: not necessarily valid, only well-typed. */
function sample(schema: JsonSchema | undefined): unknown {
  const s = resolve(schema);
  switch (typeOf(s)) {
    case 'string':
      return s?.format === 'email' ? 'sample@example.test' : 'sample text';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return Object.fromEntries(
        Object.entries(s?.properties ?? {}).map(([k, v]) => [k, sample(v)]),
      );
    case undefined:
    default:
      return 'sample';
  }
}

/** Values of the wrong type for a declared type; `RAW:` values are spliced in unquoted. */
function wrongValues(type: string | undefined): unknown[] {
  switch (type) {
    case 'string':
      return [12345, true, { $ne: null }, ['a'], { toString: 'x' }];
    case 'integer':
      return ['1', 1.5, true, { $gt: 0 }, [1], 'RAW:1e400', 'RAW:99999999999999999999'];
    case 'number':
      return ['1', true, { $gt: 0 }, [1], 'RAW:1e400'];
    case 'boolean':
      return ['true', 1, { $ne: false }, [true]];
    case 'array':
      return ['x', 5, { $in: [] }];
    case 'object':
      return ['x', 5, []];
    case undefined:
    default:
      return [];
  }
}

/** Serializes a body, splicing `RAW:` markers in as bare JSON tokens. */
function encode(body: unknown): string {
  return JSON.stringify(body).replace(/"RAW:([^"]*)"/g, '$1');
}

/** Known-valid bodies for the accounts routes, to prove a single mutation is what fails. */
let unique = 0;
const VALID: Record<string, () => Record<string, unknown>> = {
  'POST /api/auth/register': () => ({
    username: `sweep_${unique}`,
    email: `sweep_${unique++}@example.test`,
    password: 'a fine sweep passphrase',
  }),
  'POST /api/auth/login': () => ({ login: owner.username, password: owner.password }),
  'PATCH /api/users/me': () => ({ bio: 'sweep' }),
  'POST /api/users/me/password': () => ({
    currentPassword: owner.password,
    newPassword: owner.password,
  }),
  'PATCH /api/admin/users/:id': () => ({ isActive: true }),
};

interface Case {
  name: string;
  path: string;
  raw?: string | FormData;
  contentType?: string;
  /** What must come back: any 4xx, an exact status, or anything but a 5xx. */
  expect: '4xx' | number | 'not-5xx';
  field?: string;
  anonymous?: boolean;
}

function judge(res: ApiResponse, c: Case, what: string): string | null {
  const shape = isErrorShape(res.body);
  if (res.status >= 500) return `${what}: ${res.status} ${res.text.slice(0, 200)}`;
  if (res.status >= 400 && !shape) return `${what}: ${res.status} without the error shape`;
  if (c.expect === 'not-5xx') return null;
  if (c.expect === '4xx' && res.status < 400) return `${what}: ${res.status}, expected a 4xx`;
  if (typeof c.expect === 'number' && res.status !== c.expect) {
    return `${what}: ${res.status}, expected ${c.expect} (${res.text.slice(0, 200)})`;
  }
  if (c.field && res.status === 400) {
    const fields = Object.keys(res.body.error.details?.fields ?? {});
    if (!fields.some((f) => f === c.field || f.endsWith(`.${c.field}`))) {
      return `${what}: fields ${JSON.stringify(fields)} do not name ${c.field}`;
    }
  }
  return null;
}

async function run(route: AppRoute, cases: Case[]): Promise<string[]> {
  const problems: string[] = [];
  for (const c of cases) {
    const headers: Record<string, string> = {};
    if (c.contentType) headers['content-type'] = c.contentType;
    const res = await t.api.request(route.method, c.path, undefined, {
      raw: c.raw,
      headers,
      token: c.anonymous ? undefined : await token(),
    });
    const problem = judge(res, c, `${route.method} ${c.path} [${c.name}]`);
    if (problem) problems.push(problem);
  }
  return problems;
}

function bodyCases(route: AppRoute): Case[] {
  const key = `${route.method} ${route.url}`;
  const strict = ACCOUNTS.test(route.url);
  const path = fillParams(route.url, () =>
    key === 'PATCH /api/admin/users/:id' ? owner.id : MISSING_ID,
  );
  const schema = jsonBodySchema(route);
  const json = 'application/json';
  const cases: Case[] = [
    { name: 'broken JSON', path, raw: '{"a": ', contentType: json, expect: strict ? 400 : '4xx' },
    { name: 'truncated', path, raw: '{"a":"b"', contentType: json, expect: strict ? 400 : '4xx' },
    {
      name: 'over 1 MB',
      path,
      raw: `{"a":"${'x'.repeat(1_100_000)}"}`,
      contentType: json,
      expect: 413,
    },
    {
      name: 'XML',
      path,
      raw: '<a>1</a>',
      contentType: 'application/xml',
      expect: strict ? 415 : '4xx',
    },
    {
      name: 'urlencoded',
      path,
      raw: 'a=1&b=2',
      contentType: 'application/x-www-form-urlencoded',
      expect: strict ? 415 : '4xx',
    },
  ];
  const shapeless = schema === undefined;
  // Without a declared JSON body, these may be ignored; they still must not break anything.
  const loose = shapeless ? 'not-5xx' : strict ? 400 : '4xx';
  for (const [name, raw] of [
    ['empty body', ''],
    ['null', 'null'],
    ['array', '[]'],
    ['array of objects', '[{}]'],
    ['string', '"text"'],
    ['number', '42'],
    ['true', 'true'],
    ['__proto__', '{"__proto__":{"isAdmin":true}}'],
    ['constructor.prototype', '{"constructor":{"prototype":{"isAdmin":true}}}'],
    ['deep nesting', '['.repeat(50_000) + ']'.repeat(50_000)],
  ] as const) {
    const expectAlways400 = name === 'empty body' || name.includes('proto');
    cases.push({
      name,
      path,
      raw,
      contentType: json,
      expect: expectAlways400 ? (strict ? 400 : '4xx') : loose,
    });
  }
  cases.push({
    name: 'text/plain JSON',
    path,
    raw: '{"a":1}',
    contentType: 'text/plain',
    expect: loose,
  });
  const form = new FormData();
  form.set('a', '1');
  cases.push({ name: 'multipart', path, raw: form, expect: shapeless ? 'not-5xx' : '4xx' });
  if (!schema) return cases;

  const props = schema.properties ?? {};
  const base = VALID[key]?.() ?? (sample(schema) as Record<string, unknown>);
  if (schema.required?.length) {
    cases.push({
      name: 'empty object',
      path,
      raw: '{}',
      contentType: json,
      expect: strict ? 400 : '4xx',
    });
    for (const name of schema.required) {
      const body = { ...base };
      delete body[name];
      cases.push({
        name: `missing ${name}`,
        path,
        raw: encode(body),
        contentType: json,
        expect: strict ? 400 : '4xx',
        field: strict ? name : undefined,
      });
    }
  }
  if (VALID[key] && schema.additionalProperties === false) {
    cases.push({
      name: 'extra field',
      path,
      raw: encode({ ...VALID[key](), unexpectedField: true }),
      contentType: json,
      expect: 400,
    });
  }
  for (const [name, prop] of Object.entries(props)) {
    const type = typeOf(prop);
    for (const value of wrongValues(type)) {
      cases.push({
        name: `${name} = ${JSON.stringify(value)}`,
        path,
        raw: encode({ ...base, [name]: value }),
        contentType: json,
        expect: strict ? 400 : '4xx',
        field: strict ? name : undefined,
      });
    }
    if (type === 'string') {
      const max = resolve(prop)?.maxLength;
      cases.push({
        name: `${name} huge`,
        path,
        raw: encode({ ...base, [name]: 'x'.repeat(200_000) }),
        contentType: json,
        expect: max !== undefined ? (strict ? 400 : '4xx') : 'not-5xx',
      });
      for (const odd of ['a\u0000b', '\ud800', '\u202e\u200b', '   ']) {
        cases.push({
          name: `${name} = ${JSON.stringify(odd)}`,
          path,
          raw: encode({ ...base, [name]: odd }),
          contentType: json,
          expect: 'not-5xx',
        });
      }
    }
  }
  return cases;
}

const BAD_IDS = [
  'abc',
  '-1',
  '0',
  '1e400',
  '99999999999999999999',
  '1.5',
  'null',
  '%20',
  "1'%20OR%20'1'='1",
];

function paramCases(route: AppRoute): Case[] {
  const key = `${route.method} ${route.url}`;
  const strict = ACCOUNTS.test(route.url);
  const valid =
    VALID[key]?.() ?? (jsonBodySchema(route) ? sample(jsonBodySchema(route)) : undefined);
  const cases: Case[] = [];
  for (const param of paramsOf(route.url)) {
    for (const bad of BAD_IDS) {
      const path = fillParams(route.url, (name) => (name === param ? bad : MISSING_ID));
      cases.push({
        name: `:${param} = ${bad}`,
        path,
        raw: valid === undefined ? undefined : encode(valid),
        contentType: valid === undefined ? undefined : 'application/json',
        expect: strict ? 400 : '4xx',
      });
    }
  }
  return cases;
}

function queryCases(route: AppRoute): Case[] {
  const strict = ACCOUNTS.test(route.url);
  const base = fillParams(route.url, () => MISSING_ID);
  const params = (operationOf(route)?.parameters ?? []).filter((p) => p.in === 'query');
  const cases: Case[] = [
    { name: 'junk query', path: `${base}?a[b]=1&__proto__[x]=1&=&&a=%FF`, expect: 'not-5xx' },
  ];
  for (const p of params) {
    const type = typeOf(p.schema);
    const bad =
      type === 'integer' || type === 'number'
        ? ['abc', '-1', '1e400', '99999999999999999999', '1.5', '']
        : type === 'string' && resolve(p.schema)?.maxLength !== undefined
          ? ['x'.repeat(resolve(p.schema)!.maxLength! + 1)]
          : [];
    for (const value of bad) {
      cases.push({
        name: `${p.name}=${value.slice(0, 20)}`,
        path: `${base}?${p.name}=${value}`,
        expect: strict ? 400 : '4xx',
      });
    }
    cases.push({
      name: `${p.name} twice`,
      path: `${base}?${p.name}=1&${p.name}=2`,
      expect: strict ? 400 : '4xx',
    });
    cases.push({ name: `${p.name} with NUL`, path: `${base}?${p.name}=a%00b`, expect: 'not-5xx' });
  }
  return cases;
}

describe('malformed input on every API route', () => {
  it('finds the routes to sweep', () => {
    const routes = apiRoutes(t.server.app).map((r) => `${r.method} ${r.url}`);
    for (const known of Object.keys(VALID)) {
      expect(routes).toContain(known);
      // Their body shapes must be readable, or the per-field cases would silently vanish.
      const [method, url] = known.split(' ') as [string, string];
      expect(jsonBodySchema({ method, url })?.properties, known).toBeDefined();
    }
    expect(routes).toContain('GET /api/users');
  });

  it('control: the valid bodies used as a base are accepted', async () => {
    for (const [key, body] of Object.entries(VALID)) {
      if (key.includes('/password')) continue; // would sign out the other sessions
      const [method, pattern] = key.split(' ') as [string, string];
      const res = await t.api.request(
        method,
        fillParams(pattern, () => owner.id),
        body(),
        {
          token: await token(),
        },
      );
      expect(res.status, key).toBeLessThan(300);
    }
  });

  it('answers malformed bodies with a 4xx in the error shape', async () => {
    const problems: string[] = [];
    for (const route of apiRoutes(t.server.app)) {
      if (route.method === 'GET') continue;
      problems.push(...(await run(route, bodyCases(route))));
    }
    expect(problems).toEqual([]);
    // Hundreds of requests, each argon2-free but many hitting the database: give a busy CI room.
  }, 180_000);

  it('answers bad path parameters with a 4xx in the error shape', async () => {
    const problems: string[] = [];
    for (const route of apiRoutes(t.server.app)) {
      problems.push(...(await run(route, paramCases(route))));
    }
    expect(problems).toEqual([]);
  });

  it('answers bad query parameters with a 4xx in the error shape', async () => {
    const problems: string[] = [];
    for (const route of apiRoutes(t.server.app)) {
      if (route.method !== 'GET') continue;
      problems.push(...(await run(route, queryCases(route))));
    }
    expect(problems).toEqual([]);
  });

  it('answers the same sweep without a token with a 4xx in the error shape', async () => {
    const problems: string[] = [];
    for (const route of apiRoutes(t.server.app)) {
      const cases = [
        ...paramCases(route),
        ...(route.method === 'GET' ? queryCases(route) : bodyCases(route)),
      ];
      problems.push(
        ...(await run(
          route,
          cases.map((c) => ({
            ...c,
            anonymous: true,
            expect: c.expect === 'not-5xx' ? c.expect : '4xx',
          })),
        )),
      );
    }
    expect(problems).toEqual([]);
  }, 180_000);

  // Errors Fastify raises before routing (undecodable URL, over-long parameter) skip the error
  // handler; the app routes them through `frameworkErrors` so they keep the error shape.
  it('answers undecodable URLs and over-long parameters in the error shape', async () => {
    for (const path of ['/api/users/%E0%A4%A', '/api/users/%zz', `/api/users/${'9'.repeat(300)}`]) {
      const res = await t.api.get(path, { token: owner.token });
      expect(res.status, path).toBe(400);
      expect(isErrorShape(res.body), path).toBe(true);
    }
  });
});

describe('the API documentation', () => {
  // Shared schemas are emitted as `#/components/schemas/...` references; each must be defined.
  it('defines every schema it references', async () => {
    const res = await t.api.get('/api/docs/json');
    expect(res.status).toBe(200);
    const defined = Object.keys(res.body.components?.schemas ?? {});
    const refs = [...res.text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    expect([...new Set(refs)].filter((r) => !defined.includes(r!))).toEqual([]);
  });
});

describe('unknown paths', () => {
  it('answers unknown API routes with a JSON 404, whatever the method', async () => {
    for (const path of [
      '/api',
      '/api/',
      '/api/nope',
      '/api/users/me/nope',
      '/api/auth',
      '/api/v2/users',
    ]) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        const res = await t.api.request(method, path, undefined, { token: owner.token });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.headers.get('content-type'), `${method} ${path}`).toMatch(/application\/json/);
        expect(res.body.error.code, `${method} ${path}`).toBe('not_found');
      }
    }
  });

  it('serves the web client for other unknown pages, and never a file outside it', async () => {
    const index = await t.api.get('/');
    expect(index.status).toBe(200);
    for (const path of ['/conversations/12', '/settings/profile?tab=1', '/some/deep/page']) {
      const res = await t.api.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/text\/html/);
      expect(res.text, path).toBe(index.text);
    }
    // Paths that name a file get a 404 unless the file is part of the client: never the page
    // (a blank client when an asset is missing), never anything outside the web root; nor do
    // paths with dot segments, which no page of the client has.
    for (const path of [
      '/.env',
      '/assets/missing-1234.js',
      '/..%2f..%2fetc%2fhostname.txt',
      '/..%2f..%2fetc%2fpasswd',
    ]) {
      const res = await t.api.get(path);
      expect(res.status, path).toBe(404);
      expect(isErrorShape(res.body), path).toBe(true);
    }
    const post = await t.api.post('/some/page', { a: 1 });
    expect(post.status).toBe(404);
    expect(isErrorShape(post.body)).toBe(true);
  });
});
