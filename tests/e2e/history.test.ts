import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bubble,
  eventually,
  inView,
  launchBrowser,
  newContext,
  openApp,
  person,
  registerInContext,
  startWebServer,
  type WebServer,
} from './harness.js';

const alice = person('alice', 'Alice Martin');
const bob = person('bob', 'Bob Chen');
const TOTAL = 160;

let web: WebServer;
let browser: Browser;

beforeAll(async () => {
  // The history is seeded over REST far faster than a person sends; the limit is tested elsewhere.
  [web, browser] = await Promise.all([
    startWebServer({ MESSAGES_PER_SECOND: '1000' }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

async function post(conversation: number, token: string, body: string): Promise<void> {
  const r = await fetch(`${web.url}/api/conversations/${conversation}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body }),
  });
  if (r.status !== 201) throw new Error(`post: ${r.status} ${await r.text()}`);
}

/** The seqs of the message rows in the DOM (the virtualized list renders only some). */
const renderedSeqs = (page: Page) =>
  page
    .getByTestId('message')
    .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));

const scroller = (page: Page) => page.getByTestId('virtuoso-scroller');

describe('history', () => {
  it('opens at the newest message, loads older pages in place, stays pinned for new ones', async () => {
    const a = await newContext(browser);
    const b = await newContext(browser);
    const aliceAuth = await registerInContext(a.context, web.url, alice);
    const bobAuth = await registerInContext(b.context, web.url, bob);
    const open = await a.context.request.post(`${web.url}/api/conversations/direct`, {
      headers: { authorization: `Bearer ${aliceAuth.token}` },
      data: { userId: bobAuth.id },
    });
    const id = (await open.json()).id as number;
    for (let i = 1; i <= TOTAL; i++) {
      const token = i % 4 === 0 ? aliceAuth.token : bobAuth.token;
      await post(
        id,
        token,
        `Message ${i}${i % 5 === 2 ? ' with a longer line of text that wraps onto a second line on most screens, like real chat does' : ''}`,
      );
    }
    const page = a.page;
    await openApp(page, web.url, `/c/${id}`);
    await bubble(page, `Message ${TOTAL}`).waitFor();
    await eventually(async () => expect(await inView(page, `Message ${TOTAL}`)).toBe(true));

    // Scrolled to the top, the next older page is inserted above without moving the view.
    const first = TOTAL - 49;
    await scroller(page).evaluate((el) => el.scrollTo({ top: 0 }));
    const anchor = page.locator(`[data-testid="message"][data-seq="${first}"]`);
    await anchor.waitFor();
    const before = (await anchor.boundingBox())!.y;
    await eventually(async () =>
      expect(Math.min(...(await renderedSeqs(page)))).toBeLessThan(first),
    );
    await page.waitForTimeout(300);
    const after = (await anchor.boundingBox())!.y;
    // Losing the place would jump by the page inserted (thousands of pixels). What may move it a
    // little: the oldest message held starts a run of its sender until the page above shows
    // that the message before it is from the same sender; its row then gets shorter (by 19 px
    // seen here) when the page arrives after `before` was read, as it can on a loaded machine.
    expect(Math.abs(after - before)).toBeLessThan(24);

    // All the way up to the first message.
    await eventually(async () => {
      await scroller(page).evaluate((el) => el.scrollTo({ top: 0 }));
      await page
        .getByText('This is the beginning of your conversation with Bob Chen.')
        .waitFor({ timeout: 500 });
    }, 30_000);
    const top = await renderedSeqs(page);
    expect(top[0]).toBe(1);
    expect(top).toEqual([...top].sort((x, y) => x - y));
    // Virtualized: far fewer rows in the DOM than the messages loaded.
    expect(top.length).toBeLessThan(TOTAL / 2);

    await scroller(page).evaluate((el) => el.scrollTo({ top: 0 }));
    await eventually(async () => expect(await inView(page, 'Message 1')).toBe(true));

    // Scrolled up, a new message does not pull the view down; the badge counts it.
    await post(id, bobAuth.token, 'New while reading old ones');
    await page.getByRole('button', { name: 'Jump to the latest message' }).getByText('1').waitFor();
    expect(await inView(page, 'Message 1')).toBe(true);
    await page.getByRole('button', { name: 'Jump to the latest message' }).click();
    await eventually(async () =>
      expect(await inView(page, 'New while reading old ones')).toBe(true),
    );

    // At the bottom, new messages keep it pinned.
    await post(id, bobAuth.token, 'And one more');
    await eventually(async () => expect(await inView(page, 'And one more')).toBe(true));
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
