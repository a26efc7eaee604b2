import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import sharp from 'sharp';
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
  tombstones,
  type WebServer,
} from './harness.js';

const alice = person('alice', 'Alice Martin');
const bob = person('bob', 'Bob Chen');

let web: WebServer;
let browser: Browser;
const people: Record<string, { context: BrowserContext; page: Page; errors: string[] }> = {};
const auth: Record<string, { id: number; token: string }> = {};

/** Bob's sockets pass through here, so the test can cut them and keep him offline. */
const bobSockets: Array<{ page: WebSocketRoute; server: WebSocketRoute }> = [];
let bobOffline = false;

beforeAll(async () => {
  // The history is seeded over REST far faster than a person sends; the limit is tested elsewhere.
  [web, browser] = await Promise.all([
    startWebServer({ MESSAGES_PER_SECOND: '1000' }),
    launchBrowser(),
  ]);
  for (const p of [alice, bob]) {
    people[p.username] = await newContext(browser);
    auth[p.username] = await registerInContext(people[p.username]!.context, web.url, p);
  }
  await people.bob!.context.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (bobOffline) return ws.close();
    bobSockets.push({ page: ws, server: ws.connectToServer() });
  });
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

const a = () => people.alice!.page;
const b = () => people.bob!.page;
const asAlice = (
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
) => restAs(web.url, auth.alice!.token, method, path, body);
const asBob = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
  restAs(web.url, auth.bob!.token, method, path, body);

async function directChat(): Promise<number> {
  const c = await asAlice('POST', '/api/conversations/direct', { userId: auth.bob!.id });
  return c.id as number;
}

describe('keeping up with changes', () => {
  it('after the socket dropped, edits, deletions, reactions and pins made meanwhile show', async () => {
    const id = await directChat();
    const post = async (body: string, replyToId?: number) =>
      asAlice('POST', `/api/conversations/${id}/messages`, { body, replyToId });
    const plan = await post('Plan: ship on Friday');
    const typo = await post('Teh demo is at noon');
    const secret = await post('Door code is 4321');
    const praise = await post('Great work on the release notes');
    await openApp(b(), web.url, `/c/${id}`);
    await bubble(b(), 'Great work on the release notes').waitFor();
    const asked: string[] = [];
    b().on('request', (r) => asked.push(r.url()));

    // Bob's connection breaks and stays down while Alice changes things.
    bobOffline = true;
    for (const s of bobSockets.splice(0)) {
      await s.page.close();
      await s.server.close();
    }
    await b().getByTestId('connection-banner').getByText('Reconnecting…').waitFor();
    await asAlice('PATCH', `/api/messages/${typo.id}`, { body: 'The demo is at noon' });
    await asAlice('DELETE', `/api/messages/${secret.id}`);
    await asAlice('PUT', `/api/messages/${praise.id}/reactions/${encodeURIComponent('🎉')}`);
    await asAlice('PUT', `/api/messages/${plan.id}/pin`);
    await post('Moved to Monday, see above', plan.id);
    expect(await b().getByText('The demo is at noon').count()).toBe(0);
    await screenshot(b(), 'catch-up-offline');

    // Back online: the client asks for the changes since the version it holds.
    bobOffline = false;
    await b().getByTestId('connection-banner').waitFor({ state: 'hidden', timeout: 30_000 });
    await bubble(b(), 'The demo is at noon').getByText('edited', { exact: true }).waitFor();
    await tombstones(b()).getByText('This message was deleted').waitFor();
    expect(await b().getByText('Door code is 4321').count()).toBe(0);
    await bubble(b(), 'Great work on the release notes')
      .locator('[data-testid="reaction"][data-emoji="🎉"]')
      .getByText('1', { exact: true })
      .waitFor();
    await bubble(b(), 'Plan: ship on Friday').getByText('Pinned by Alice Martin').waitFor();
    await bubble(b(), 'Moved to Monday, see above')
      .getByTestId('reply-quote')
      .getByText('Plan: ship on Friday')
      .waitFor();
    await screenshot(b(), 'catch-up-online');
    const since = asked.filter((u) => u.includes(`/api/conversations/${id}/changes?since=`));
    expect(since.length).toBeGreaterThan(0);
    expect(asked.filter((u) => /[?&]after=/.test(u))).toEqual([]);
    expect(people.bob!.errors).toEqual([]);
  });

  it('names and pictures change live for everyone who sees them', async () => {
    const group = await asAlice('POST', '/api/conversations', {
      name: 'Launch crew',
      isPrivate: false,
      memberIds: [auth.bob!.id],
    });
    await asBob('POST', `/api/conversations/${group.id}/messages`, { body: 'Checklist is done' });
    await openApp(a(), web.url, `/c/${group.id}`);
    await bubble(a(), 'Checklist is done').waitFor();
    await a().locator('.msg__sender').getByText('Bob Chen').waitFor();
    const sockets = bobSockets.length;
    await openApp(b(), web.url, `/c/${group.id}`);
    await eventually(() => expect(bobSockets.length).toBeGreaterThan(sockets));

    // Bob renames himself elsewhere (another device, through the API).
    await asBob('PATCH', '/api/users/me', { displayName: 'Robert Chen' });
    await a().locator('.msg__sender').getByText('Robert Chen').waitFor();
    await conversationItem(a(), 'Robert Chen').waitFor();
    expect(await conversationItem(a(), 'Bob Chen').count()).toBe(0);
    // His own open browser follows too.
    await b().getByTitle('Your profile and settings').getByText('Robert Chen').waitFor();

    const png = await sharp({
      create: { width: 256, height: 256, channels: 3, background: { r: 30, g: 160, b: 120 } },
    })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'me.png');
    const res = await fetch(`${web.url}/api/users/me/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${auth.bob!.token}` },
      body: form,
    });
    expect(res.status).toBe(200);
    await eventually(async () =>
      expect(await conversationItem(a(), 'Robert Chen').locator('img').getAttribute('src')).toMatch(
        /^\/files\/avatars\//,
      ),
    );
    await eventually(async () =>
      expect(
        await bubble(a(), 'Checklist is done').locator('.msg__avatar img').getAttribute('src'),
      ).toMatch(/^\/files\/avatars\//),
    );
    await screenshot(a(), 'name-change-live');
    expect(people.alice!.errors).toEqual([]);
  });

  it('a reply to a message far back loads the page around it, then returns to the newest', async () => {
    const id = await directChat();
    const first = await asAlice('POST', `/api/conversations/${id}/messages`, {
      body: 'Where did we put the brand guidelines?',
    });
    for (let i = 1; i <= 140; i++) {
      const who = i % 2 ? asAlice : asBob;
      await who('POST', `/api/conversations/${id}/messages`, { body: `Chatter ${i}` });
    }
    await asBob('POST', `/api/conversations/${id}/messages`, {
      body: 'In the design drive, under Brand',
      replyToId: first.id,
    });
    await openApp(b(), web.url, `/c/${id}`);
    const reply = bubble(b(), 'In the design drive, under Brand');
    await reply.waitFor();
    // Not loaded: only the newest page is.
    expect(await bubble(b(), 'Where did we put the brand guidelines?').count()).toBe(0);

    const around = b().waitForRequest((r) => r.url().includes('around='));
    // The highlight lasts 2 s: watch for it from the click on, or a slow step could miss it;
    // the row may still be placed off screen then (a loaded machine), so it is seen in view below.
    const highlighted = b()
      .locator('.msg--highlight')
      .filter({ hasText: 'brand guidelines' })
      .waitFor({ state: 'attached' });
    await reply.getByTestId('reply-quote').click();
    expect((await around).url()).toContain(`around=${first.seq}`);
    const original = bubble(b(), 'Where did we put the brand guidelines?');
    await original.waitFor();
    await highlighted;
    await eventually(async () =>
      expect(await inView(b(), 'Where did we put the brand guidelines?')).toBe(true),
    );
    await screenshot(b(), 'reply-jump-far');

    // Back to the newest: the button loads them in place of the old page.
    await b().getByRole('button', { name: 'Jump to the latest message' }).click();
    await reply.waitFor();
    await eventually(async () =>
      expect(await inView(b(), 'In the design drive, under Brand')).toBe(true),
    );
    expect(await original.count()).toBe(0);
    // Sending from there lands at the bottom as usual.
    await b().getByRole('textbox', { name: 'Message' }).fill('Found it, thanks');
    await b().getByRole('textbox', { name: 'Message' }).press('Enter');
    await eventually(async () => expect(await inView(b(), 'Found it, thanks')).toBe(true));
    expect(people.bob!.errors).toEqual([]);
  });
});
