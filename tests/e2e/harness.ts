import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEB_ROOT = path.join(root, 'dist', 'web');
export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Debian Chromium, without the background services that slow a CI machine. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A port free right now (the server must come back on the same one after a restart). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A real Parley serving the built client on a fixed port, restartable on the same database. */
export interface WebServer {
  url: string;
  server: TestServer;
  /** Stops the process's server; the database stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port, database and secret. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebServer(extraEnv: Record<string, string> = {}): Promise<WebServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    PUBLIC_URL: url,
    WEB_ROOT,
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_SIGNUPS_PER_HOUR: '1000',
    ...extraEnv,
  };
  let server = await startTestServer(env);
  const db = server.db;
  let running = true;
  return {
    url,
    get server() {
      return server;
    },
    async stop() {
      if (!running) return;
      running = false;
      await server.stop();
    },
    async start() {
      if (running) return;
      server = await startTestServer(env, { db });
      running = true;
    },
    async close() {
      if (running) await server.stop();
      running = false;
      await db.drop();
    },
  };
}

export interface Person {
  username: string;
  displayName: string;
  email: string;
  password: string;
}

export function person(username: string, displayName: string): Person {
  return {
    username,
    displayName,
    email: `${username}@example.com`,
    password: `${username}-correct-horse-battery`,
  };
}

/**
 * A browser context (its own cookie jar) that records page errors. Unless `firstVisit`, the
 * app in it looks for a session at its first load (tests sign in through the API, not the
 * page); a first visit is a browser that has never signed in here.
 */
export async function newContext(
  browser: Browser,
  opts: BrowserContextOptions = {},
  { firstVisit = false }: { firstVisit?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    ...opts,
  });
  if (!firstVisit) await hintSession(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/**
 * After signing in through the API (not the page), tells the app in this context that a
 * session exists, as its own sign-in form would: without the hint the app does not ask for a
 * refresh (see sessionHint in web/src/features/auth/session.ts). Once per call, so a sign-out
 * in the page stays a sign-out.
 */
async function hintSession(context: BrowserContext): Promise<void> {
  const marker = `parley:e2e-hint:${randomBytes(6).toString('hex')}`;
  await context.addInitScript((key: string) => {
    try {
      const storage = (
        globalThis as unknown as {
          localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
        }
      ).localStorage;
      if (storage.getItem(key)) return;
      storage.setItem(key, '1');
      storage.setItem('parley:session', '1');
    } catch {
      /* a page without storage (about:blank, an error page) */
    }
  }, marker);
}

/** Signs up through the API of the context (so its cookie jar holds the refresh cookie). */
export async function registerInContext(
  context: BrowserContext,
  url: string,
  p: Person,
): Promise<{ id: number; token: string }> {
  const res = await context.request.post(`${url}/api/auth/register`, {
    data: {
      username: p.username,
      email: p.email,
      password: p.password,
      displayName: p.displayName,
    },
  });
  if (res.status() !== 201)
    throw new Error(`register ${p.username}: ${res.status()} ${await res.text()}`);
  await hintSession(context);
  const body = await res.json();
  return { id: body.user.id, token: body.accessToken };
}

/** Signs in through the API of the context. */
export async function loginInContext(
  context: BrowserContext,
  url: string,
  p: Person,
): Promise<{ id: number; token: string }> {
  const res = await context.request.post(`${url}/api/auth/login`, {
    data: { login: p.username, password: p.password },
  });
  if (res.status() !== 200)
    throw new Error(`login ${p.username}: ${res.status()} ${await res.text()}`);
  await hintSession(context);
  const body = await res.json();
  return { id: body.user.id, token: body.accessToken };
}

/** Opens the app and waits until the conversation list is there. */
export async function openApp(page: Page, url: string, at = '/'): Promise<void> {
  await page.goto(url + at);
  await page.getByRole('complementary', { name: 'Conversations' }).waitFor();
  const notNow = page.getByRole('button', { name: 'Not now' });
  if (await notNow.isVisible()) await notNow.click();
}

/** The composer of the open conversation. */
export const composer = (page: Page) => page.getByRole('textbox', { name: 'Message' });

export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** Texts of the message bubbles on screen, in order. */
export function messageTexts(page: Page): Promise<string[]> {
  return page.getByTestId('message-text').allTextContents();
}

/** A conversation in the sidebar, by its exact name. */
export const conversationItem = (page: Page, name: string) =>
  page.getByTestId('conversation-item').filter({ has: page.getByText(name, { exact: true }) });

/** A system line in the open conversation ("Bob joined"), by its exact text. */
export const systemLine = (page: Page, text: string) =>
  page.getByTestId('system-message').getByText(text, { exact: true });

/** A message bubble by its exact text. */
export const bubble = (page: Page, text: string) =>
  page
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });

/**
 * Screenshots go to test-results/screenshots, or to docs/screenshots (committed, shown in the
 * README) with PARLEY_UPDATE_SCREENSHOTS=1.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir =
    process.env.PARLEY_UPDATE_SCREENSHOTS === '1'
      ? path.join(root, 'docs', 'screenshots')
      : path.join(root, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  // Let transitions and the typing dots settle; hide the caret so pictures are stable.
  await page.addStyleTag({ content: '*{caret-color:transparent !important}' });
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/** Whether a message bubble is fully inside the visible part of the message list. */
export async function inView(page: Page, text: string): Promise<boolean> {
  const box = await bubble(page, text).boundingBox();
  const view = await page.getByTestId('virtuoso-scroller').boundingBox();
  if (!box || !view) return false;
  return box.y >= view.y - 1 && box.y + box.height <= view.y + view.height + 1;
}

/** Waits until the page shows a path (in-app navigation changes no load state). */
export async function atPath(page: Page, path: string | RegExp, timeoutMs = 15_000): Promise<void> {
  await eventually(() => {
    const now = new URL(page.url());
    const here = now.pathname + now.search;
    if (typeof path === 'string' ? here !== path : !path.test(here))
      throw new Error(`at ${here}, expected ${String(path)}`);
  }, timeoutMs);
}

/** Polls until the check passes (or throws its last error after the timeout). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A REST call as a signed-in user (a bot acting while the browsers watch); throws on errors. */
export async function restAs<T = any>(
  url: string,
  token: string,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Opens the action menu of a message (hover, then its menu button). */
export async function openMessageMenu(page: Page, text: string): Promise<void> {
  const row = bubble(page, text);
  await row.hover();
  await row.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menu', { name: 'Message actions' }).waitFor();
}

/** The tombstones of deleted messages on screen. */
export const tombstones = (page: Page) => page.getByTestId('message-deleted');
