import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bubble,
  CHROMIUM,
  composer,
  conversationItem,
  eventually,
  launchBrowser,
  messageTexts,
  newContext,
  openApp,
  person,
  registerInContext,
  restAs,
  screenshot,
  send,
  startWebServer,
  type WebServer,
} from './harness.js';

const alice = person('alice', 'Alice Martin');
const bob = person('bob', 'Bob Chen');

let web: WebServer;
let browser: Browser;
const auth: Record<string, { id: number; token: string }> = {};
let direct = 0;
let group = 0;

beforeAll(async () => {
  [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  const b = await newContext(browser);
  auth.bob = await registerInContext(b.context, web.url, bob);
  await b.context.close();
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

/**
 * Keeps the page's socket from reaching the server until `open()` (the REST API still answers),
 * so what the page shows before anything is sent can be looked at.
 */
async function holdSocket(target: Page | BrowserContext): Promise<{ open: () => void }> {
  let allowed = false;
  await target.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (allowed) ws.connectToServer();
  });
  return {
    open: () => {
      allowed = true;
    },
  };
}

/** The stored messages of a conversation with these bodies, in seq order. */
async function stored(conversation: number, bodies: string[]): Promise<string[]> {
  const page = await restAs(
    web.url,
    auth.bob!.token,
    'GET',
    `/api/conversations/${conversation}/messages?limit=200`,
  );
  return (page.messages as Array<{ body: string }>)
    .map((m) => m.body)
    .filter((b) => bodies.includes(b));
}

const pendingRows = (p: Page) => p.locator('[data-testid="message"][data-pending]');
const clockOf = (p: Page, text: string) => bubble(p, text).locator('[data-status="sending"]');

describe('no lost words', () => {
  it('drafts are kept per conversation across a reload', async () => {
    const a = await newContext(browser);
    auth.alice = await registerInContext(a.context, web.url, alice);
    direct = (
      await restAs(web.url, auth.alice.token, 'POST', '/api/conversations/direct', {
        userId: auth.bob!.id,
      })
    ).id;
    group = (
      await restAs(web.url, auth.alice.token, 'POST', '/api/conversations', {
        name: 'Drafting room',
        isPrivate: true,
        memberIds: [auth.bob!.id],
      })
    ).id;
    const p = a.page;
    await openApp(p, web.url, `/c/${direct}`);
    await composer(p).fill('A thought for Bob, half written');
    await conversationItem(p, 'Drafting room').click();
    await composer(p).fill('Notes for the room\nsecond line');
    await p.reload();
    await p.getByRole('complementary', { name: 'Conversations' }).waitFor();
    expect(await composer(p).inputValue()).toBe('Notes for the room\nsecond line');
    await conversationItem(p, 'Bob Chen').click();
    await eventually(async () =>
      expect(await composer(p).inputValue()).toBe('A thought for Bob, half written'),
    );
    await screenshot(p, 'draft-after-reload');
    // Sending clears it, for good.
    await composer(p).press('Enter');
    await bubble(p, 'A thought for Bob, half written').waitFor();
    await p.reload();
    await p.getByRole('complementary', { name: 'Conversations' }).waitFor();
    await bubble(p, 'A thought for Bob, half written').waitFor();
    expect(await composer(p).inputValue()).toBe('');
    expect(a.errors).toEqual([]);
    await a.context.close();
  });

  it('messages written while the server is down survive a reload and are sent once, in order', async () => {
    const a = await newContext(browser);
    const p = a.page;
    const login = await a.context.request.post(`${web.url}/api/auth/login`, {
      data: { login: alice.username, password: alice.password },
    });
    expect(login.status()).toBe(200);
    await openApp(p, web.url, `/c/${direct}`);
    await bubble(p, 'A thought for Bob, half written').waitFor();

    await web.stop();
    await p.getByTestId('connection-banner').getByText('Reconnecting…').waitFor();
    const bodies = ['Offline one', 'Offline two', 'Offline three'];
    for (const body of bodies) await send(p, body);
    for (const body of bodies) await clockOf(p, body).waitFor();
    await screenshot(p, 'outbox-server-down');

    // The reload fails while the server is down; the messages are on disk, not in the page.
    await p.reload().catch(() => {});
    await web.start();
    const socket = await holdSocket(p);
    await openApp(p, web.url, `/c/${direct}`);
    for (const body of bodies) await clockOf(p, body).waitFor();
    expect(await messageTexts(p)).toEqual(['A thought for Bob, half written', ...bodies]);
    await screenshot(p, 'outbox-restored-after-reload');

    // The connection comes back: each is sent with its clientId, in order, and stored once.
    socket.open();
    await eventually(async () => expect(await pendingRows(p).count()).toBe(0), 30_000);
    for (const body of bodies)
      await bubble(p, body)
        .locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]')
        .waitFor();
    expect(await stored(direct, bodies)).toEqual(bodies);

    // Nothing is left to send: another reload shows them once, none waiting.
    await p.reload();
    await bubble(p, 'Offline three').waitFor();
    expect(await pendingRows(p).count()).toBe(0);
    expect((await messageTexts(p)).filter((t) => bodies.includes(t))).toEqual(bodies);
    expect(a.errors).toEqual([]);
    await a.context.close();
  });

  it('they survive a browser restart too, and a resend of a stored one is not doubled', async () => {
    const profile = mkdtempSync(path.join(tmpdir(), 'parley-profile-'));
    const launch = () =>
      chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 800 },
        colorScheme: 'light',
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
      });
    try {
      let ctx = await launch();
      const first = await ctx.request.post(`${web.url}/api/auth/login`, {
        data: { login: alice.username, password: alice.password, remember: true },
      });
      expect(first.status()).toBe(200);
      let p = ctx.pages()[0] ?? (await ctx.newPage());
      // A first sign-in in this profile: the sign-in form sets what the app looks for.
      await p.goto(`${web.url}/login`);
      await p.evaluate(() => (globalThis as any).localStorage.setItem('parley:session', '1'));
      await openApp(p, web.url, `/c/${group}`);
      await web.stop();
      await p.getByTestId('connection-banner').getByText('Reconnecting…').waitFor();
      const bodies = ['Before the restart, first', 'Before the restart, second'];
      for (const body of bodies) await send(p, body);
      for (const body of bodies) await clockOf(p, body).waitFor();
      await ctx.close();

      // The server comes back and (as if an earlier attempt had reached it before the browser
      // went away) already holds the first message under its clientId.
      await web.start();
      ctx = await launch();
      p = ctx.pages()[0] ?? (await ctx.newPage());
      const socket = await holdSocket(ctx);
      await openApp(p, web.url, `/c/${group}`);
      for (const body of bodies) await clockOf(p, body).waitFor();
      const firstId = await p.evaluate(
        () =>
          new Promise<string>((resolve, reject) => {
            const req = (globalThis as any).indexedDB.open('parley');
            req.onerror = () => reject(new Error('no database'));
            req.onsuccess = () => {
              const all = req.result.transaction('outbox').objectStore('outbox').getAll();
              all.onsuccess = () => {
                const list = all.result as Array<{ clientId: string; body: string }>;
                resolve(list.find((e) => e.body === 'Before the restart, first')!.clientId);
              };
            };
          }),
      );
      await restAs(web.url, auth.alice!.token, 'POST', `/api/conversations/${group}/messages`, {
        body: 'Before the restart, first',
        clientId: firstId,
      });
      socket.open();
      await eventually(async () => expect(await pendingRows(p).count()).toBe(0), 30_000);
      expect(await stored(group, bodies)).toEqual(bodies);
      await p.reload();
      await bubble(p, 'Before the restart, second').waitFor();
      expect((await messageTexts(p)).filter((t) => bodies.includes(t))).toEqual(bodies);
      await screenshot(p, 'outbox-after-browser-restart');
      await ctx.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
