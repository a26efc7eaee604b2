import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  newContext,
  person,
  registerInContext,
  startWebServer,
  type WebServer,
} from './harness.js';

const alice = person('alice', 'Alice Martin');
const bob = person('bob', 'Bob Chen');

let web: WebServer;
let browser: Browser;

beforeAll(async () => {
  // Sessions end after 3 s without activity; connected sockets are re-checked every second.
  [web, browser] = await Promise.all([
    startWebServer({ SESSION_IDLE_MINUTES: '0.05', SESSION_CHECK_SECONDS: '1' }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

describe('session expiry', () => {
  it('returns to the login page with a message, then back to where the user was', async () => {
    const setup = await newContext(browser);
    const aliceAuth = await registerInContext(setup.context, web.url, alice);
    const other = await newContext(browser);
    const bobAuth = await registerInContext(other.context, web.url, bob);
    const open = await setup.context.request.post(`${web.url}/api/conversations/direct`, {
      headers: { authorization: `Bearer ${aliceAuth.token}` },
      data: { userId: bobAuth.id },
    });
    const path = `/c/${(await open.json()).id}`;
    await setup.context.close();
    await other.context.close();

    const { context, page, errors } = await newContext(browser);
    await page.goto(web.url + '/login');
    await page.getByLabel('Username or email').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByLabel('Remember me for 30 days').uncheck();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('complementary', { name: 'Conversations' }).waitFor();
    await page.getByTestId('conversation-item').filter({ hasText: 'Bob Chen' }).click();
    await page.waitForURL(web.url + path);
    await page.getByRole('heading', { name: 'Bob Chen' }).waitFor();

    // Idle: the server ends the session and tells the socket; the app goes to sign-in.
    await page.waitForURL(`${web.url}/login?next=${encodeURIComponent(path)}`, { timeout: 20_000 });
    await page.getByTestId('auth-notice').getByText('Your session has expired').waitFor();
    const refresh = await context.request.post(`${web.url}/api/auth/refresh`, {
      headers: { 'x-parley-client': 'web' },
    });
    expect(refresh.status()).toBe(401);

    // Signing in (by email this time) goes back to the conversation.
    await page.getByLabel('Username or email').fill(alice.email);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(web.url + path);
    await page.getByRole('heading', { name: 'Bob Chen' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
