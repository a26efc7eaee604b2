import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bubble,
  eventually,
  launchBrowser,
  messageTexts,
  newContext,
  openApp,
  person,
  registerInContext,
  screenshot,
  send,
  startWebServer,
  type WebServer,
} from './harness.js';

const alice = person('alice', 'Alice Martin');
const bob = person('bob', 'Bob Chen');

let web: WebServer;
let browser: Browser;

beforeAll(async () => {
  [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

describe('reconnecting', () => {
  it('after a server restart, every message sent meanwhile appears in order, once', async () => {
    const a = await newContext(browser);
    const b = await newContext(browser);
    const aliceAuth = await registerInContext(a.context, web.url, alice);
    const bobAuth = await registerInContext(b.context, web.url, bob);
    const open = await a.context.request.post(`${web.url}/api/conversations/direct`, {
      headers: { authorization: `Bearer ${aliceAuth.token}` },
      data: { userId: bobAuth.id },
    });
    const conversation = (await open.json()).id as number;
    const path = `/c/${conversation}`;
    await openApp(a.page, web.url, path);
    await openApp(b.page, web.url, path);

    await send(a.page, 'Before the restart');
    await bubble(b.page, 'Before the restart').waitFor();

    // The server goes away: both clients say so, and a message written now waits (clock).
    await web.stop();
    await a.page.getByTestId('connection-banner').getByText('Reconnecting…').waitFor();
    await b.page.getByTestId('connection-banner').getByText('Reconnecting…').waitFor();
    await send(a.page, 'Written while the server was down');
    await bubble(a.page, 'Written while the server was down')
      .locator('[data-status="sending"]')
      .waitFor();
    await screenshot(a.page, 'reconnecting');

    // It comes back on the same database; Bob's bot posts before the browsers reconnect.
    await web.start();
    const missed = ['Missed one', 'Missed two', 'Missed three'];
    for (const body of missed) {
      const r = await fetch(`${web.url}/api/conversations/${conversation}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bobAuth.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ body }),
      });
      expect(r.status).toBe(201);
    }

    const expected = ['Before the restart', ...missed];
    for (const p of [a.page, b.page]) {
      await p.getByTestId('connection-banner').waitFor({ state: 'hidden', timeout: 30_000 });
      for (const text of [...missed, 'Written while the server was down'])
        await bubble(p, text).waitFor({ timeout: 30_000 });
      await eventually(async () => {
        const texts = await messageTexts(p);
        // Seq order: the offline message lands wherever its retry got stored, after "Before".
        expect(texts.filter((t) => expected.includes(t))).toEqual(expected);
        expect(texts.filter((t) => t === 'Written while the server was down')).toHaveLength(1);
      });
      const seqs = await p
        .getByTestId('message')
        .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    await bubble(a.page, 'Written while the server was down')
      .locator('[data-status="read"]')
      .waitFor();

    // The server holds the retried message exactly once, and seqs are dense.
    const r = await fetch(`${web.url}/api/conversations/${conversation}/messages?limit=200`, {
      headers: { authorization: `Bearer ${bobAuth.token}` },
    });
    const page = (await r.json()) as { messages: Array<{ seq: number; body: string }> };
    expect(
      page.messages.filter((m) => m.body === 'Written while the server was down'),
    ).toHaveLength(1);
    expect(page.messages.map((m) => m.seq)).toEqual(page.messages.map((_, i) => i + 1));
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
