import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atPath,
  bubble,
  composer,
  conversationItem,
  eventually,
  inView,
  launchBrowser,
  loginInContext,
  newContext,
  openApp,
  person,
  registerInContext,
  screenshot,
  send,
  startWebServer,
  systemLine,
  type WebServer,
} from './harness.js';

const alice = person('alice', 'Alice Martin');
const bob = person('bob', 'Bob Chen');
const carol = person('carol', 'Carol Diaz');

let web: WebServer;
let browser: Browser;
const pages: Record<string, { context: BrowserContext; page: Page; errors: string[] }> = {};
let directUrl = '';

beforeAll(async () => {
  [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  for (const name of ['alice', 'bob', 'carol']) pages[name] = await newContext(browser);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

const pageOf = (name: string) => pages[name]!.page;
const payloads = [
  '<img src=x onerror=alert(1)>',
  '<script>window.__xss = 1; alert(2)</script>',
  '<svg onload=alert(3)> [x](javascript:alert(4)) <a href="javascript:alert(5)">click</a>',
] as const;

describe('web client, end to end', () => {
  it('signs up with inline errors, starts a direct chat, shows typing and ticks turning to read', async () => {
    const a = pageOf('alice');
    const b = pageOf('bob');

    // The login page, as a signed-out visitor sees it.
    await a.goto(web.url + '/c/1');
    await atPath(a, '/login?next=%2Fc%2F1');
    await screenshot(a, 'login');

    // Sign-up: the confirmation is checked here, the rest by the server, inline per field.
    await a.getByRole('link', { name: 'Create an account' }).click();
    await a.getByLabel('Username', { exact: true }).fill('al');
    await a.getByLabel('Display name').fill(alice.displayName);
    await a.getByLabel('Email').fill('not-an-email');
    await a.getByLabel('Password', { exact: true }).fill('short');
    await a.getByLabel('Confirm password').fill('shorter');
    await a.getByRole('button', { name: 'Create account' }).click();
    await a.getByText('The two passwords do not match').waitFor();
    await a.getByLabel('Confirm password').fill('short');
    await a.getByRole('button', { name: 'Create account' }).click();
    await a.getByText('Username must be at least 3 characters').waitFor();
    await a.getByText('Invalid email address').waitFor();
    await a.getByText('Password must be at least 8 characters').waitFor();
    await screenshot(a, 'signup-errors');

    await a.getByLabel('Username', { exact: true }).fill(alice.username);
    await a.getByLabel('Email').fill(alice.email);
    await a.getByLabel('Password', { exact: true }).fill(alice.password);
    await a.getByLabel('Confirm password').fill(alice.password);
    await a.getByRole('button', { name: 'Create account' }).click();
    // Back to where the visitor was going; conversation 1 does not exist (yet).
    await atPath(a, '/c/1');
    await a.getByText('Conversation not found').waitFor();

    // S8: no token in web storage, and the refresh cookie is out of reach of scripts.
    const storage = await a.evaluate(() => {
      const w = globalThis as any;
      return JSON.stringify([
        Object.entries(w.localStorage),
        Object.entries(w.sessionStorage),
        w.document.cookie,
      ]);
    });
    expect(storage).not.toMatch(/eyJ|token|parley_refresh/i);
    const cookies = await pages.alice!.context.cookies();
    const refresh = cookies.find((c) => c.name === 'parley_refresh');
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });

    await registerInContext(pages.bob!.context, web.url, bob);
    await openApp(b, web.url);
    await openApp(a, web.url);

    // Escape closes a dialog; then search Bob and open the chat.
    await a.getByRole('button', { name: 'New chat' }).first().click();
    await a.getByRole('dialog', { name: 'New chat' }).waitFor();
    await a.keyboard.press('Escape');
    await a.getByRole('dialog', { name: 'New chat' }).waitFor({ state: 'hidden' });
    await a.getByRole('button', { name: 'New chat' }).first().click();
    await a.getByPlaceholder('Search people by name or username').fill('bob');
    await a.getByRole('button', { name: /Bob Chen/ }).click();
    await atPath(a, /^\/c\/\d+$/);
    directUrl = new URL(a.url()).pathname;
    await a.getByRole('heading', { name: 'Bob Chen' }).waitFor();

    await send(a, 'Hi Bob! Do you have a minute for the release notes?');
    const first = bubble(a, 'Hi Bob! Do you have a minute for the release notes?');
    await first.locator('[data-status="sent"], [data-status="delivered"]').waitFor();

    // Bob's list: the chat, unread badge, title count, online dot for Alice.
    const item = conversationItem(b, 'Alice Martin');
    await item.getByLabel('1 unread').waitFor();
    await eventually(async () => expect(await b.title()).toBe('(1) Parley'));
    // Delivered to Bob's device (he has not opened it yet).
    await first.locator('[data-status="delivered"]').waitFor();

    // Typing is shown on the other side, in the header and above the composer.
    await item.click();
    await composer(b).pressSequentially('Sure, ', { delay: 20 });
    await a.getByTestId('typing').getByText('Bob Chen is typing…').waitFor();
    await a.getByText('typing…', { exact: true }).first().waitFor();
    // Bob has the chat open and focused: Alice's message turns to read.
    await first.locator('[data-status="read"]').waitFor();
    await eventually(async () => expect(await b.title()).toBe('Parley'));

    // Shift+Enter makes a new line; Enter sends.
    await composer(b).pressSequentially('send them over.');
    await composer(b).press('Shift+Enter');
    await composer(b).pressSequentially('I am free until 3.');
    await composer(b).press('Enter');
    await bubble(a, 'Sure, send them over.\nI am free until 3.').waitFor();
    await a.getByTestId('typing').getByText('is typing').waitFor({ state: 'hidden' });

    await send(a, 'Great, here they are: https://example.com/releases/2.4');
    await send(a, 'Mostly the new search and the dark theme.');
    await bubble(a, 'Mostly the new search and the dark theme.')
      .locator('[data-status="read"]')
      .waitFor();
    await send(b, 'Reading now. The search part looks good to me.');
    await bubble(a, 'Reading now. The search part looks good to me.').waitFor();
    const link = a.getByRole('link', { name: 'https://example.com/releases/2.4' });
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.getAttribute('target')).toBe('_blank');
    await b.getByRole('textbox', { name: 'Message' }).blur();
    await screenshot(a, 'chat-direct');
  });

  it('shows HTML in messages as text and runs nothing', async () => {
    const a = pageOf('alice');
    const b = pageOf('bob');
    const dialogs: string[] = [];
    for (const p of [a, b])
      p.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.message())));
    for (const text of payloads) await send(a, text);
    for (const text of payloads) await bubble(b, text).waitFor();
    await bubble(a, payloads[2]).locator('[data-status="read"]').waitFor();

    for (const p of [a, b]) {
      const report = await p.evaluate(() => {
        const w = globalThis as any;
        const list = w.document.querySelector('[data-testid="message-list"]');
        const all: any[] = [...list.querySelectorAll('*')];
        return {
          xss: w.__xss as unknown,
          injected: list.querySelectorAll('img[src="x"], script, svg[onload], iframe')
            .length as number,
          handlers: all.flatMap((el) =>
            (el.getAttributeNames() as string[]).filter((n) => n.startsWith('on')),
          ),
          hrefs: [...list.querySelectorAll('a')].map(
            (el: any) => el.getAttribute('href') as string,
          ),
        };
      });
      expect(report.xss).toBeUndefined();
      expect(report.injected).toBe(0);
      expect(report.handlers).toEqual([]);
      for (const href of report.hrefs) expect(href).toMatch(/^(https?:|mailto:)/);
    }
    expect(dialogs).toEqual([]);
    await send(a, 'Ignore those: just checking that markup stays plain text.');
    await bubble(b, 'Ignore those: just checking that markup stays plain text.').waitFor();
    const res = await fetch(web.url + '/');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(/script-src[^;]*unsafe-inline/.test(csp)).toBe(false);
  });

  it('runs a group: join and leave notices, read by N, roles shown by permission, a kick', async () => {
    const a = pageOf('alice');
    const b = pageOf('bob');
    const c = pageOf('carol');
    await registerInContext(pages.carol!.context, web.url, carol);
    await openApp(c, web.url);

    // Alice creates a public group with Bob in it.
    await a.getByRole('button', { name: 'New group' }).click();
    const dialog = a.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Name').fill('Design team');
    await dialog.getByLabel('Topic').fill('Specs, reviews and mockups');
    await dialog.getByPlaceholder('Add people').fill('bob');
    await dialog.getByRole('button', { name: /Bob Chen/ }).click();
    await dialog.getByRole('list', { name: 'Chosen members' }).getByText('Bob Chen').waitFor();
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await a.getByRole('heading', { name: 'Design team' }).waitFor();
    const groupPath = new URL(a.url()).pathname;
    await systemLine(a, 'You created the group “Design team”').waitFor();

    // Carol finds it in the directory and joins; everyone sees the notice.
    await c.getByRole('link', { name: 'Browse groups' }).first().click();
    const card = c.getByTestId('public-group').filter({ hasText: 'Design team' });
    await card.getByText('Specs, reviews and mockups').waitFor();
    await card.getByRole('button', { name: 'Join' }).click();
    await atPath(c, groupPath);
    await systemLine(a, 'Carol Diaz joined').waitFor();
    await send(c, 'Hi all! Happy to help with the mockups.');
    await bubble(a, 'Hi all! Happy to help with the mockups.').waitFor();

    // Bob opens the group; Alice's message is read by both.
    await conversationItem(b, 'Design team').click();
    await atPath(b, groupPath);
    await send(a, 'Welcome Carol! First review is on Thursday.');
    await bubble(a, 'Welcome Carol! First review is on Thursday.')
      .getByRole('button', { name: 'Read by 2' })
      .waitFor();
    await bubble(a, 'Welcome Carol! First review is on Thursday.')
      .getByRole('button', { name: 'Read by 2' })
      .click();
    const readers = a.getByRole('dialog', { name: 'Read by' });
    await readers.getByText('Bob Chen').waitFor();
    await readers.getByText('Carol Diaz').waitFor();
    await a.keyboard.press('Escape');
    await readers.waitFor({ state: 'hidden' });
    await composer(a).focus();
    await send(b, 'Thursday works for me.');
    await bubble(a, 'Thursday works for me.').waitFor();

    // A member sees no admin controls.
    await b.getByRole('link', { name: 'Group settings' }).click();
    const bobSettings = b.getByTestId('group-settings');
    await bobSettings.getByRole('button', { name: 'Leave group' }).waitFor();
    expect(await bobSettings.getByRole('button', { name: 'Delete group' }).count()).toBe(0);
    expect(await bobSettings.getByRole('button', { name: /^Remove / }).count()).toBe(0);
    expect(await bobSettings.getByLabel('Name').count()).toBe(0);
    await b.keyboard.press('Escape');
    await bobSettings.waitFor({ state: 'hidden' });

    // Carol leaves, then joins again.
    await c.getByRole('link', { name: 'Group settings' }).click();
    await c.getByRole('button', { name: 'Leave group' }).click();
    await c
      .getByRole('dialog', { name: 'Leave group?' })
      .getByRole('button', { name: 'Leave' })
      .click();
    await atPath(c, '/');
    await systemLine(a, 'Carol Diaz left').waitFor();
    expect(await conversationItem(c, 'Design team').count()).toBe(0);
    await c.goto(web.url + '/browse');
    await c
      .getByTestId('public-group')
      .filter({ hasText: 'Design team' })
      .getByRole('button', { name: 'Join' })
      .click();
    await atPath(c, groupPath);
    await eventually(async () => expect(await systemLine(a, 'Carol Diaz joined').count()).toBe(2));
    await screenshot(a, 'group');

    // The owner's settings: every control; the kick reaches Carol at once.
    await a.getByRole('link', { name: 'Group settings' }).click();
    const settings = a.getByTestId('group-settings');
    await settings.getByTestId('member').filter({ hasText: 'Carol Diaz' }).waitFor();
    await settings.getByRole('button', { name: 'Delete group' }).waitFor();
    await settings.getByLabel('Topic').fill('Specs, reviews and mockups for 2.4');
    await settings.getByRole('button', { name: 'Save changes' }).click();
    await settings.getByText('Saved').waitFor();
    await a.getByText('3 members · Specs, reviews and mockups for 2.4').waitFor();
    await settings.getByRole('combobox', { name: 'Role of Bob Chen' }).selectOption('admin');
    await systemLine(a, 'You made Bob Chen an admin').waitFor();
    await screenshot(a, 'group-settings');
    await settings.getByRole('button', { name: 'Remove Carol Diaz' }).click();
    await a
      .getByRole('dialog', { name: 'Remove member?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await systemLine(a, 'You removed Carol Diaz').waitFor();
    await atPath(c, '/');
    await c.getByText('You are no longer a member of “Design team”.').waitFor();
    expect(await conversationItem(c, 'Design team').count()).toBe(0);
    // Bob, now an admin, sees the removal too, and may now edit the group.
    await systemLine(b, 'Alice Martin removed Carol Diaz').waitFor();
    await a.keyboard.press('Escape');
  });

  it('uploads an avatar with a preview and a progress bar, and edits the profile', async () => {
    const a = pageOf('alice');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512">
      <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
        <stop offset="0" stop-color="#f472b6"/><stop offset="1" stop-color="#6366f1"/></linearGradient></defs>
      <rect width="512" height="512" fill="url(#g)"/>
      <circle cx="256" cy="210" r="96" fill="#fde68a"/>
      <path d="M96 512c20-110 90-170 160-170s140 60 160 170z" fill="#fde68a"/>
      <circle cx="222" cy="200" r="12" fill="#1f2937"/><circle cx="290" cy="200" r="12" fill="#1f2937"/>
      <path d="M216 246q40 34 80 0" stroke="#1f2937" stroke-width="10" fill="none" stroke-linecap="round"/>
    </svg>`;
    const png = await sharp(Buffer.from(svg)).png({ compressionLevel: 0 }).toBuffer();

    await a.getByTitle('Your profile and settings').click();
    await a.getByRole('heading', { name: 'Profile and settings' }).waitFor();
    await a.getByTestId('session').filter({ hasText: 'This browser' }).waitFor();

    // Slow the upload down so the progress bar and the local preview can be seen.
    const cdp = await pages.alice!.context.newCDPSession(a);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: Math.max(64 * 1024, Math.round(png.length / 2)),
    });
    await a.getByTestId('avatar-input').setInputFiles({
      name: 'me.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await a.getByRole('progressbar', { name: 'Upload progress' }).waitFor();
    expect(await a.getByTestId('avatar-preview').getAttribute('src')).toMatch(/^blob:/);
    await a.getByRole('progressbar').waitFor({ state: 'hidden', timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await a.getByRole('button', { name: 'Change photo' }).waitFor();
    const sidebarPicture = a.getByTitle('Your profile and settings').locator('img');
    await eventually(async () =>
      expect(await sidebarPicture.getAttribute('src')).toMatch(/^\/files\/avatars\/.+-64\.webp$/),
    );

    await a.getByLabel('Bio').fill('Product designer. Coffee first, then pixels.');
    await a.getByRole('button', { name: 'Save profile' }).click();
    await a.getByText('Saved', { exact: true }).waitFor();
    // A taken username is shown on the field, from the server.
    await a.getByLabel('Username', { exact: true }).fill('bob');
    await a.getByRole('button', { name: 'Save profile' }).click();
    await a.getByText('That username is already taken').waitFor();
    await a.getByLabel('Username', { exact: true }).fill(alice.username);
    await a.getByRole('button', { name: 'Save profile' }).click();
    await a.getByText('Saved', { exact: true }).waitFor();
    await a.evaluate(() => (globalThis as any).scrollTo(0, 0));
    await screenshot(a, 'profile');

    // Bob sees the new picture in his list.
    const b = pageOf('bob');
    await b.goto(web.url + directUrl);
    await eventually(async () =>
      expect(await conversationItem(b, 'Alice Martin').locator('img').getAttribute('src')).toMatch(
        /^\/files\/avatars\//,
      ),
    );
  });

  it('fits a phone, follows a dark system theme, and has a not-found page', async () => {
    const phone = await newContext(browser, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await loginInContext(phone.context, web.url, bob);
    await openApp(phone.page, web.url);
    await screenshot(phone.page, 'phone-list');
    await conversationItem(phone.page, 'Alice Martin').click();
    await bubble(phone.page, 'Reading now. The search part looks good to me.').waitFor();
    // Opened at the newest message.
    await eventually(async () =>
      expect(
        await inView(phone.page, 'Ignore those: just checking that markup stays plain text.'),
      ).toBe(true),
    );
    // On a phone the list gives way to the conversation, with a way back.
    expect(await phone.page.getByRole('complementary', { name: 'Conversations' }).isVisible()).toBe(
      false,
    );
    await screenshot(phone.page, 'phone-chat');
    await phone.page.getByRole('link', { name: 'Back to conversations' }).click();
    await phone.page.getByTestId('conversation-item').first().waitFor();

    const dark = await newContext(browser, { colorScheme: 'dark' });
    await loginInContext(dark.context, web.url, bob);
    await openApp(dark.page, web.url);
    await conversationItem(dark.page, 'Design team').click();
    await bubble(dark.page, 'Thursday works for me.').waitFor();
    const background = await dark.page.evaluate(() => {
      const w = globalThis as any;
      return w.getComputedStyle(w.document.body).backgroundColor as string;
    });
    expect(background).toBe('rgb(12, 14, 18)');
    await screenshot(dark.page, 'dark');

    await dark.page.goto(web.url + '/no/such/page');
    await dark.page.getByRole('heading', { name: 'This page does not exist' }).waitFor();
    await dark.page.getByRole('link', { name: 'Go to Parley' }).click();
    await dark.page.getByTestId('conversation-item').first().waitFor();
    expect([...phone.errors, ...dark.errors]).toEqual([]);
    await phone.context.close();
    await dark.context.close();
    for (const p of Object.values(pages)) expect(p.errors).toEqual([]);
  });
});
