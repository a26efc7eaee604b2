import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bubble,
  conversationItem,
  eventually,
  inView,
  launchBrowser,
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
const carol = person('carol', 'Carol Diaz');

let web: WebServer;
let browser: Browser;
type Tab = Awaited<ReturnType<typeof newContext>>;
let a: Tab;
let b: Tab;
const auth: Record<string, { id: number; token: string }> = {};
let direct = 0;

/**
 * Lets a test hide the tab or take the focus from the window. Headless Chromium keeps every
 * page visible and focused, so the test does what the browser does when a tab is hidden or its
 * window loses focus: document.visibilityState / hasFocus() answer so, and the events the app
 * listens to (visibilitychange, blur, focus) fire.
 */
const ATTENTION = `
  window.__hidden = false;
  window.__blurred = false;
  Object.defineProperty(Document.prototype, 'visibilityState', {
    configurable: true,
    get: () => (window.__hidden ? 'hidden' : 'visible'),
  });
  Object.defineProperty(Document.prototype, 'hidden', {
    configurable: true,
    get: () => window.__hidden,
  });
  const hasFocus = Document.prototype.hasFocus;
  Document.prototype.hasFocus = function () {
    return window.__blurred ? false : hasFocus.call(this);
  };
`;
type Flags = { __hidden: boolean; __blurred: boolean };
const setHidden = (p: Page, on: boolean) =>
  p.evaluate((v) => {
    const g = globalThis as unknown as Flags & { document: EventTarget };
    g.__hidden = v;
    g.document.dispatchEvent(new Event('visibilitychange'));
  }, on);
const setBlurred = (p: Page, on: boolean) =>
  p.evaluate((v) => {
    const g = globalThis as unknown as Flags & EventTarget;
    g.__blurred = v;
    g.dispatchEvent(new Event(v ? 'blur' : 'focus'));
  }, on);

/** Bob's read cursor in a conversation, as the server holds it. */
async function bobReadSeq(conversation: number): Promise<number> {
  const c = await restAs(web.url, auth.alice!.token, 'GET', `/api/conversations/${conversation}`);
  return (c.members as Array<{ user: { id: number }; readSeq: number }>).find(
    (m) => m.user.id === auth.bob!.id,
  )!.readSeq;
}

async function post(conversation: number, who: string, bodies: string[]): Promise<number> {
  let seq = 0;
  for (const body of bodies) {
    const m = await restAs(
      web.url,
      auth[who]!.token,
      'POST',
      `/api/conversations/${conversation}/messages`,
      { body },
    );
    seq = m.seq;
  }
  return seq;
}

const tick = (p: Page, text: string) => bubble(p, text).locator('[data-status]');
const scroller = (p: Page) => p.getByTestId('virtuoso-scroller');
const divider = (p: Page) => p.getByRole('separator').filter({ hasText: 'New messages' });

beforeAll(async () => {
  [web, browser] = await Promise.all([
    startWebServer({ MESSAGES_PER_SECOND: '1000' }),
    launchBrowser(),
  ]);
  a = await newContext(browser);
  b = await newContext(browser);
  await b.context.addInitScript(ATTENTION);
  auth.alice = await registerInContext(a.context, web.url, alice);
  auth.bob = await registerInContext(b.context, web.url, bob);
  const c = await newContext(browser);
  auth.carol = await registerInContext(c.context, web.url, carol);
  await c.context.close();
  direct = (
    await restAs(web.url, auth.alice.token, 'POST', '/api/conversations/direct', {
      userId: auth.bob.id,
    })
  ).id;
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

describe('"read" means seen', () => {
  it('scrolled far up, a new message is not read until it is scrolled into view', async () => {
    const last = await post(
      direct,
      'alice',
      Array.from({ length: 80 }, (_, i) => `Backlog ${i + 1}`),
    );
    await restAs(web.url, auth.bob!.token, 'POST', `/api/conversations/${direct}/read`, {
      seq: last,
    });
    await openApp(a.page, web.url, `/c/${direct}`);
    await openApp(b.page, web.url, `/c/${direct}`);
    await bubble(b.page, 'Backlog 80').waitFor();

    // Bob scrolls far up, to the first messages.
    await scroller(b.page).hover();
    for (let i = 0; i < 40 && !(await bubble(b.page, 'Backlog 1').isVisible()); i++)
      await b.page.mouse.wheel(0, -3000);
    await bubble(b.page, 'Backlog 1').waitFor();

    await send(a.page, 'Are you there?');
    await tick(a.page, 'Are you there?').and(a.page.locator('[data-status="delivered"]')).waitFor();
    // The jump button counts it, the live region announced it, and it stays unread.
    await b.page.locator('.jump-latest__count').getByText('1', { exact: true }).waitFor();
    await eventually(async () =>
      expect(await b.page.getByTestId('live-announcer').textContent()).toBe(
        'Alice Martin: Are you there?',
      ),
    );
    await b.page.waitForTimeout(1500);
    expect(await tick(a.page, 'Are you there?').getAttribute('data-status')).toBe('delivered');
    expect(await bobReadSeq(direct)).toBe(last);
    await screenshot(b.page, 'read-scrolled-up-reader');
    await screenshot(a.page, 'read-scrolled-up-sender-delivered');

    // Scrolled down, it is seen: the sender's ticks turn to read.
    await b.page.getByRole('button', { name: 'Jump to the latest message' }).click();
    await eventually(async () => expect(await inView(b.page, 'Are you there?')).toBe(true));
    await a.page.locator('[data-status="read"]').last().waitFor();
    await tick(a.page, 'Are you there?').and(a.page.locator('[data-status="read"]')).waitFor();
    expect(await bobReadSeq(direct)).toBe(last + 1);
    await screenshot(a.page, 'read-after-scrolling-sender');
  });

  it('a hidden tab does not read; showing it again does', async () => {
    await setHidden(b.page, true);
    await send(a.page, 'While your tab is hidden');
    await bubble(b.page, 'While your tab is hidden').waitFor();
    await tick(a.page, 'While your tab is hidden')
      .and(a.page.locator('[data-status="delivered"]'))
      .waitFor();
    await b.page.waitForTimeout(1500);
    expect(await tick(a.page, 'While your tab is hidden').getAttribute('data-status')).toBe(
      'delivered',
    );
    await setHidden(b.page, false);
    await tick(a.page, 'While your tab is hidden')
      .and(a.page.locator('[data-status="read"]'))
      .waitFor();
  });

  it('an unfocused window does not read; focusing it does', async () => {
    await setBlurred(b.page, true);
    await send(a.page, 'While you look elsewhere');
    await bubble(b.page, 'While you look elsewhere').waitFor();
    await b.page.waitForTimeout(1500);
    expect(await tick(a.page, 'While you look elsewhere').getAttribute('data-status')).toBe(
      'delivered',
    );
    // The unread count stays in the sidebar meanwhile.
    await conversationItem(b.page, 'Alice Martin').getByTestId('unread-badge').waitFor();
    await setBlurred(b.page, false);
    await tick(a.page, 'While you look elsewhere')
      .and(a.page.locator('[data-status="read"]'))
      .waitFor();
    await conversationItem(b.page, 'Alice Martin')
      .getByTestId('unread-badge')
      .waitFor({ state: 'hidden' });
  });
});

describe('the unread position is kept', () => {
  it('60 unread: opens at the first unread (loaded around it) with a divider that stays', async () => {
    const group = await restAs(web.url, auth.alice!.token, 'POST', '/api/conversations', {
      name: 'Long reads',
      isPrivate: true,
      memberIds: [auth.bob!.id],
    });
    const read = await post(
      group.id,
      'alice',
      Array.from({ length: 100 }, (_, i) => `Earlier ${i + 1}`),
    );
    await restAs(web.url, auth.bob!.token, 'POST', `/api/conversations/${group.id}/read`, {
      seq: read,
    });
    const last = await post(
      group.id,
      'alice',
      Array.from({ length: 60 }, (_, i) => `Unread ${i + 1}`),
    );

    const asked: string[] = [];
    b.page.on('request', (r) => {
      if (r.url().includes(`/api/conversations/${group.id}/messages`)) asked.push(r.url());
    });
    await openApp(b.page, web.url, '/');
    await conversationItem(b.page, 'Long reads')
      .getByTestId('unread-badge')
      .getByText('60')
      .waitFor();
    await conversationItem(b.page, 'Long reads').click();
    await divider(b.page).waitFor();
    expect(asked.some((u) => u.includes(`around=${read + 1}`))).toBe(true);

    // The divider sits right above the first unread message, both on screen; the newest is not.
    const first = bubble(b.page, 'Unread 1');
    await eventually(async () => expect(await inView(b.page, 'Unread 1')).toBe(true));
    const [line, msg] = [await divider(b.page).boundingBox(), await first.boundingBox()];
    expect(line!.y).toBeLessThan(msg!.y);
    expect(msg!.y - (line!.y + line!.height)).toBeLessThan(40);
    expect(await bubble(b.page, 'Unread 60').isVisible()).toBe(false);
    await screenshot(b.page, 'unread-divider');

    // Only what was on screen is read.
    await b.page.waitForTimeout(1000);
    const seen = await bobReadSeq(group.id);
    expect(seen).toBeGreaterThan(read);
    expect(seen).toBeLessThan(last);

    // Reading on to the end: everything is read, and the divider stays while here.
    await b.page.getByRole('button', { name: 'Jump to the latest message' }).click();
    await bubble(b.page, 'Unread 60').waitFor();
    await eventually(async () => expect(await bobReadSeq(group.id)).toBe(last), 20_000);
    await scroller(b.page).hover();
    // Up through the pages loaded on the way (each arrives while the list waits at the top).
    for (let i = 0; i < 120 && !(await divider(b.page).isVisible()); i++) {
      await b.page.mouse.wheel(0, -1500);
      await b.page.waitForTimeout(150);
    }
    await divider(b.page).waitFor();

    // Leaving and coming back: nothing unread, no divider, the newest message at the bottom.
    await conversationItem(b.page, 'Alice Martin').click();
    await bubble(b.page, 'While you look elsewhere').waitFor();
    await conversationItem(b.page, 'Long reads').click();
    await bubble(b.page, 'Unread 60').waitFor();
    await eventually(async () => expect(await inView(b.page, 'Unread 60')).toBe(true));
    expect(await divider(b.page).count()).toBe(0);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('"Read by N" counts only the members who were there when the message was sent', async () => {
    const group = await restAs(web.url, auth.alice!.token, 'POST', '/api/conversations', {
      name: 'Newcomers',
      isPrivate: true,
      memberIds: [auth.bob!.id],
    });
    await openApp(a.page, web.url, `/c/${group.id}`);
    await send(a.page, 'Before Carol joined');
    const before = bubble(a.page, 'Before Carol joined');
    // Bob reads it (through the API: his cursor is what counts here).
    const m = await restAs(web.url, auth.bob!.token, 'GET', `/api/conversations/${group.id}`);
    await restAs(web.url, auth.bob!.token, 'POST', `/api/conversations/${group.id}/read`, {
      seq: m.lastSeq,
    });
    await before.getByText('Read by 1').waitFor();

    // Carol joins: her cursors start at the end, yet she was not there to read it.
    await restAs(web.url, auth.alice!.token, 'POST', `/api/conversations/${group.id}/members`, {
      userIds: [auth.carol!.id],
    });
    await send(a.page, 'After Carol joined');
    const seq = (await restAs(web.url, auth.carol!.token, 'GET', `/api/conversations/${group.id}`))
      .lastSeq as number;
    for (const who of ['bob', 'carol'])
      await restAs(web.url, auth[who]!.token, 'POST', `/api/conversations/${group.id}/read`, {
        seq,
      });
    await bubble(a.page, 'After Carol joined').getByText('Read by 2').waitFor();
    await a.page.waitForTimeout(500);
    expect(await before.getByText(/^Read by \d$/).textContent()).toBe('Read by 1');
    await screenshot(a.page, 'read-by-members-at-send-time');
  });
});
