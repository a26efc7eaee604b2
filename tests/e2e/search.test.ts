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
  startWebServer,
  type WebServer,
} from './harness.js';

const alice = person('alice', 'Alice Martin');
const bob = person('bob', 'Bob Chen');
const FAR_BACK = 'The quarterly zeppelin report is ready 🚀';
const HISTORY = 140;

let web: WebServer;
let browser: Browser;
let page: Page;
let errors: string[];
const auth: Record<string, { id: number; token: string }> = {};
let direct = 0;
let group = 0;
/** The search and history requests the page made, in order. */
const requests: string[] = [];

const post = (who: string, conversation: number, body: string) =>
  restAs(web.url, auth[who]!.token, 'POST', `/api/conversations/${conversation}/messages`, {
    body,
  });

beforeAll(async () => {
  // The history is seeded over REST far faster than a person sends; the limit is tested elsewhere.
  [web, browser] = await Promise.all([
    startWebServer({ MESSAGES_PER_SECOND: '1000' }),
    launchBrowser(),
  ]);
  const b = await newContext(browser);
  auth.bob = await registerInContext(b.context, web.url, bob);
  await b.context.close();
  const a = await newContext(browser);
  page = a.page;
  errors = a.errors;
  auth.alice = await registerInContext(a.context, web.url, alice);
  direct = (
    await restAs(web.url, auth.alice.token, 'POST', '/api/conversations/direct', {
      userId: auth.bob.id,
    })
  ).id;
  group = (
    await restAs(web.url, auth.alice.token, 'POST', '/api/conversations', {
      name: 'Airship club',
      isPrivate: true,
      memberIds: [auth.bob.id],
    })
  ).id;
  // Far back in the direct chat, the message to find; then a long history over it.
  await post('bob', direct, 'Morning! Coffee first.');
  await post('bob', direct, FAR_BACK);
  for (let i = 0; i < HISTORY; i++) {
    await post(i % 2 ? 'alice' : 'bob', direct, `Status meeting note ${i}: all fine`);
  }
  await post('alice', group, 'Zeppelin rides on Sunday, who is in?');
  await post('bob', group, 'Count me in for the zeppelin');
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/search' || u.pathname.endsWith('/messages'))
      requests.push(u.pathname + u.search);
  });
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

const dialog = (p: Page) => p.getByRole('dialog', { name: 'Search messages' });
const box = (p: Page) => dialog(p).getByRole('searchbox', { name: 'Search messages' });
const results = (p: Page) => dialog(p).getByTestId('search-result');
const status = (p: Page) => dialog(p).getByTestId('search-status');
const marks = (p: Page) => dialog(p).locator('mark').allTextContents();

describe('search', () => {
  it('Ctrl+F opens it; results show where, who, when and the words highlighted', async () => {
    await openApp(page, web.url, `/c/${direct}`);
    await bubble(page, `Status meeting note ${HISTORY - 1}: all fine`).waitFor();
    await page.keyboard.press('Control+f');
    await dialog(page).waitFor();
    expect(
      await box(page).evaluate(
        (el) =>
          el ===
          (globalThis as unknown as { document: { activeElement: unknown } }).document
            .activeElement,
      ),
    ).toBe(true);

    // A query with no word asks nothing of the server.
    await box(page).fill('?!');
    await page.waitForTimeout(600);
    expect(await status(page).textContent()).toBe('Type letters or digits to search.');
    expect(requests.filter((r) => r.startsWith('/api/search'))).toEqual([]);

    await box(page).fill('zeppelin');
    await eventually(async () => expect(await results(page).count()).toBe(3));
    expect(await marks(page)).toEqual(['zeppelin', 'Zeppelin', 'zeppelin']);
    const first = await results(page).first().textContent();
    expect(first).toContain('Airship club');
    expect(first).toContain('Bob Chen');
    // Typing is debounced: one request for the whole word, not one per key.
    expect(requests.filter((r) => r.startsWith('/api/search'))).toHaveLength(1);

    await box(page).fill('zeppelin rep');
    await eventually(async () => expect(await results(page).count()).toBe(1));
    expect(await marks(page)).toEqual(['zeppelin', 'report']);
    expect(await results(page).first().textContent()).toContain(FAR_BACK);
    await screenshot(page, 'search-results');
  });

  it('a result far back opens its conversation around it (around=), highlighted', async () => {
    requests.length = 0;
    // The highlight lasts 2 s: watch for it from the click on, or a slow step could miss it;
    // the row may still be placed off screen then (a loaded machine), so it is seen in view below.
    const highlighted = page
      .locator('.msg--highlight')
      .filter({ hasText: FAR_BACK })
      .waitFor({ state: 'attached' });
    await results(page).first().click();
    await dialog(page).waitFor({ state: 'hidden' });
    await bubble(page, FAR_BACK).waitFor();
    await highlighted;
    expect(await inView(page, FAR_BACK)).toBe(true);
    expect(requests.some((r) => /\/messages\?.*around=2\b/.test(r))).toBe(true);
    await screenshot(page, 'search-jump');
  });

  it('filters by conversation and by person, pages on with before=, and Escape closes', async () => {
    await page.getByRole('button', { name: 'Search messages' }).click();
    await box(page).fill('meeting');
    await eventually(async () => expect(await results(page).count()).toBe(20));
    await dialog(page).getByRole('button', { name: 'Load more results' }).waitFor();
    requests.length = 0;
    // The next page loads as the end of the list scrolls into view.
    await results(page).last().scrollIntoViewIfNeeded();
    await eventually(async () => expect(await results(page).count()).toBe(40));
    expect(requests.some((r) => r.includes('before='))).toBe(true);
    const seen = await results(page).evaluateAll((els) => els.map((el) => el.textContent));
    expect(new Set(seen).size).toBe(40);

    await box(page).fill('zeppelin');
    await eventually(async () => expect(await results(page).count()).toBe(3));
    await dialog(page)
      .getByRole('combobox', { name: 'In conversation' })
      .selectOption({ label: 'Airship club' });
    await eventually(async () => expect(await results(page).count()).toBe(2));
    await dialog(page)
      .getByRole('combobox', { name: 'From person' })
      .selectOption({ label: 'Bob Chen' });
    await eventually(async () => expect(await results(page).count()).toBe(1));
    expect(await results(page).first().textContent()).toContain('Count me in for the zeppelin');
    await screenshot(page, 'search-filters');

    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
  });

  it('at phone width and in the dark theme', async () => {
    for (const [name, opts] of [
      ['phone-search', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
      ['dark-search', { colorScheme: 'dark' as const }],
    ] as const) {
      const tab = await newContext(browser, opts);
      const r = await tab.context.request.post(`${web.url}/api/auth/login`, {
        data: { login: alice.username, password: alice.password },
      });
      expect(r.status()).toBe(200);
      await openApp(tab.page, web.url);
      await conversationItem(tab.page, 'Airship club').waitFor();
      await tab.page.getByRole('button', { name: 'Search messages' }).click();
      await box(tab.page).fill('zeppelin');
      await eventually(async () => expect(await results(tab.page).count()).toBe(3));
      await screenshot(tab.page, name);
      if (name === 'phone-search') {
        // A conversation this browser has not opened yet: loaded around the message first.
        const seen: string[] = [];
        tab.page.on('request', (q) => seen.push(q.url()));
        await box(tab.page).fill('zeppelin rep');
        await eventually(async () => expect(await results(tab.page).count()).toBe(1));
        const highlighted = tab.page
          .locator('.msg--highlight')
          .filter({ hasText: FAR_BACK })
          .waitFor({ state: 'attached' });
        await results(tab.page).first().click();
        await bubble(tab.page, FAR_BACK).waitFor();
        await highlighted;
        expect(await inView(tab.page, FAR_BACK)).toBe(true);
        expect(seen.some((u) => /\/messages\?.*around=2\b/.test(u))).toBe(true);
        await screenshot(tab.page, 'phone-search-jump');
      }
      expect(tab.errors).toEqual([]);
      await tab.context.close();
    }
  });
});
