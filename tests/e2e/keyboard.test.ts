import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atPath,
  bubble,
  composer,
  conversationItem,
  eventually,
  launchBrowser,
  loginInContext,
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
const carol = person('carol', 'Carol Diaz');

let web: WebServer;
let browser: Browser;
const auth: Record<string, { id: number; token: string }> = {};
type Tab = Awaited<ReturnType<typeof newContext>>;
let a: Tab;
const ids: Record<string, number> = {};

const focused = (p: Page) =>
  p.evaluate(() => {
    const el = (globalThis as any).document.activeElement as {
      tagName: string;
      textContent: string;
      getAttribute(name: string): string | null;
    } | null;
    // Its label, else its text (a profile button is named by hidden text before the picture).
    const name = el?.getAttribute('aria-label') ?? el?.textContent ?? '';
    return el ? `${el.tagName.toLowerCase()}:${name}` : '';
  });
const heading = (p: Page) => p.locator('.chat-header__title');
/** The theme the page applies (data-theme on <html>; none when it follows the system). */
const dataTheme = (p: Page) =>
  p.evaluate(
    () => (globalThis as any).document.documentElement.dataset.theme as string | undefined,
  );

beforeAll(async () => {
  [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  a = await newContext(browser);
  auth.alice = await registerInContext(a.context, web.url, alice);
  for (const [name, p] of [
    ['bob', bob],
    ['carol', carol],
  ] as const) {
    const t = await newContext(browser);
    auth[name] = await registerInContext(t.context, web.url, p);
    await t.context.close();
  }
  // Oldest first, so the sidebar (newest activity first) reads: Design & UX, Carol, Bob.
  ids.bob = (
    await restAs(web.url, auth.alice.token, 'POST', '/api/conversations/direct', {
      userId: auth.bob!.id,
    })
  ).id;
  await restAs(web.url, auth.bob!.token, 'POST', `/api/conversations/${ids.bob}/messages`, {
    body: 'Hi from Bob',
  });
  ids.carol = (
    await restAs(web.url, auth.alice.token, 'POST', '/api/conversations/direct', {
      userId: auth.carol!.id,
    })
  ).id;
  await restAs(web.url, auth.carol!.token, 'POST', `/api/conversations/${ids.carol}/messages`, {
    body: 'Hi from Carol',
  });
  ids.group = (
    await restAs(web.url, auth.alice.token, 'POST', '/api/conversations', {
      name: 'Design & UX',
      isPrivate: false,
      memberIds: [auth.bob!.id],
    })
  ).id;
  await restAs(web.url, auth.bob!.token, 'POST', `/api/conversations/${ids.group}/messages`, {
    body: 'Morning, designers',
  });
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

describe('keyboard', () => {
  it('Ctrl+K switches conversations; Alt+Up/Down walk the list; Escape closes', async () => {
    const p = a.page;
    await openApp(p, web.url, `/c/${ids.group}`);
    await heading(p).getByText('Design & UX').waitFor();
    // Group initials skip the symbol: "DU", not "D&".
    expect(
      await conversationItem(p, 'Design & UX').locator('.avatar__initials').textContent(),
    ).toBe('DU');

    await p.keyboard.press('Control+k');
    const switcher = p.getByRole('dialog', { name: 'Jump to a conversation' });
    await switcher.waitFor();
    expect(await focused(p)).toBe('input:Conversation name');
    await p.keyboard.type('car');
    await switcher.getByRole('option', { name: /Carol Diaz/ }).waitFor();
    await screenshot(p, 'quick-switcher');
    await p.keyboard.press('Enter');
    await atPath(p, `/c/${ids.carol}`);
    await switcher.waitFor({ state: 'hidden' });

    // Arrows in the list, then Escape closes without going anywhere.
    await p.keyboard.press('Control+k');
    await switcher.waitFor();
    await p.keyboard.press('ArrowDown');
    expect(
      await switcher
        .getByRole('option', { selected: true })
        .locator('.switcher__name')
        .textContent(),
    ).toBe('Carol Diaz');
    await p.keyboard.press('Escape');
    await switcher.waitFor({ state: 'hidden' });
    await atPath(p, `/c/${ids.carol}`);

    await p.keyboard.press('Alt+ArrowDown');
    await atPath(p, `/c/${ids.bob}`);
    await p.keyboard.press('Alt+ArrowUp');
    await atPath(p, `/c/${ids.carol}`);
    await p.keyboard.press('Alt+ArrowUp');
    await atPath(p, `/c/${ids.group}`);
    // Also from inside the message box.
    await composer(p).click();
    await p.keyboard.press('Alt+ArrowDown');
    await atPath(p, `/c/${ids.carol}`);
    expect(a.errors).toEqual([]);
  });

  it('dialogs start in their first field; Escape closes them', async () => {
    const p = a.page;
    await p.getByRole('button', { name: 'New group' }).click();
    await p.getByRole('dialog', { name: 'New group' }).waitFor();
    expect(await focused(p)).toMatch(/^input:/);
    expect(
      await p
        .getByLabel('Name', { exact: true })
        .evaluate((el) => el === el.ownerDocument.activeElement),
    ).toBe(true);
    await p.keyboard.press('Escape');
    await p.getByRole('dialog', { name: 'New group' }).waitFor({ state: 'hidden' });
    await p.getByRole('button', { name: 'New chat' }).first().click();
    await p.getByRole('dialog', { name: 'New chat' }).waitFor();
    expect(await focused(p)).toBe('input:Search people by name or username');
    await p.keyboard.press('Escape');
    await p.getByRole('dialog', { name: 'New chat' }).waitFor({ state: 'hidden' });
  });

  it('a name or picture opens the profile card; Escape closes it', async () => {
    const p = a.page;
    await openApp(p, web.url, `/c/${ids.group}`);
    await bubble(p, 'Morning, designers').waitFor();
    await p.getByRole('button', { name: 'Profile of Bob Chen' }).first().click();
    const card = p.getByTestId('profile-card');
    await card.waitFor();
    await card.getByText('@bob').waitFor();
    await card.getByRole('button', { name: 'Send a message' }).waitFor();
    // Times have no leading zero on the hour.
    const clock = await bubble(p, 'Morning, designers').locator('time').textContent();
    expect(clock).toMatch(/^([1-9]|1\d|2[0-3]):\d\d/);
    await screenshot(p, 'profile-card');
    await p.keyboard.press('Escape');
    await card.waitFor({ state: 'hidden' });
    expect(await focused(p)).toMatch(/^button:Profile of Bob Chen/);
    await p.getByRole('button', { name: 'Profile of Bob Chen' }).first().click();
    await card.getByRole('button', { name: 'Send a message' }).click();
    await atPath(p, `/c/${ids.bob}`);
  });

  it('emoji: the picker in the composer and :shortcode: completion', async () => {
    const p = a.page;
    await openApp(p, web.url, `/c/${ids.bob}`);
    await composer(p).fill('Party ');
    await p.getByRole('button', { name: 'Insert emoji' }).click();
    const picker = p.getByRole('dialog', { name: 'Insert an emoji' });
    await picker.getByRole('gridcell', { name: 'grinning face', exact: true }).click();
    await picker.waitFor({ state: 'hidden' });
    expect(await composer(p).inputValue()).toBe('Party 😀');

    await composer(p).pressSequentially(' :tad');
    const list = p.getByRole('listbox', { name: 'Emoji' });
    await list.getByRole('option', { name: /:tada:/ }).waitFor();
    await screenshot(p, 'shortcode-completion');
    await p.keyboard.press('Enter');
    await list.waitFor({ state: 'hidden' });
    expect(await composer(p).inputValue()).toBe('Party 😀 🎉 ');
    // A whole :code: typed out becomes its emoji too.
    await composer(p).pressSequentially('and :joy:');
    await eventually(async () =>
      expect(await composer(p).inputValue()).toBe('Party 😀 🎉 and 😂 '),
    );
    await composer(p).press('Enter');
    await bubble(p, 'Party 😀 🎉 and 😂').waitFor();
  });

  it('on a touch screen Enter adds a line and the button sends', async () => {
    const t = await newContext(browser, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await loginInContext(t.context, web.url, alice);
    // At phone width a conversation fills the screen (no sidebar).
    await t.page.goto(`${web.url}/c/${ids.bob}`);
    await composer(t.page).waitFor();
    await composer(t.page).tap();
    await composer(t.page).pressSequentially('first line');
    await t.page.keyboard.press('Enter');
    await composer(t.page).pressSequentially('second line');
    expect(await composer(t.page).inputValue()).toBe('first line\nsecond line');
    await t.page.getByRole('button', { name: 'Send' }).tap();
    await bubble(t.page, 'first line\nsecond line').waitFor();
    expect(await composer(t.page).inputValue()).toBe('');
    await screenshot(t.page, 'touch-composer');
    await t.context.close();
  });
});

describe('settings and small defects', () => {
  it('the theme switch is kept per user and applied at load', async () => {
    const p = a.page;
    await openApp(p, web.url, '/profile');
    await p.getByRole('radio', { name: /Dark/ }).check();
    await eventually(async () => expect(await dataTheme(p)).toBe('dark'));
    await p.reload();
    await p.getByRole('heading', { name: 'Profile and settings' }).waitFor();
    expect(await dataTheme(p)).toBe('dark');
    const bg = await p.evaluate(
      () => (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor,
    );
    expect(bg).toBe('rgb(12, 14, 18)');
    await screenshot(p, 'theme-dark-profile');
    await p.getByRole('radio', { name: /System/ }).check();
    await eventually(async () => expect(await dataTheme(p)).toBeUndefined());
  });

  it('adding a member clears the search; presence is not "online" while disconnected', async () => {
    const p = a.page;
    await openApp(p, web.url, `/c/${ids.group}/settings`);
    await p.getByRole('button', { name: 'Add people' }).click();
    const search = p.getByRole('searchbox', { name: 'Search people to add' });
    await search.fill('caro');
    await p.getByRole('button', { name: /Carol Diaz/ }).click();
    await p.getByTestId('member').filter({ hasText: 'Carol Diaz' }).waitFor();
    expect(await search.inputValue()).toBe('');

    const b = await newContext(browser);
    await loginInContext(b.context, web.url, bob);
    await openApp(b.page, web.url, `/c/${ids.bob}`);
    await openApp(p, web.url, `/c/${ids.bob}`);
    await p.getByTestId('presence').getByText('online', { exact: true }).waitFor();
    await web.stop();
    await p.getByTestId('connection-banner').waitFor();
    await eventually(async () =>
      expect(await p.getByTestId('presence').textContent()).not.toBe('online'),
    );
    expect(await p.locator('.avatar__dot--online').count()).toBe(0);
    await screenshot(p, 'presence-while-disconnected');
    await web.start();
    await p.getByTestId('connection-banner').waitFor({ state: 'hidden', timeout: 30_000 });
    await p.getByTestId('presence').getByText('online', { exact: true }).waitFor();
    await b.context.close();
  });

  it('sessions refresh after a password change; "sign out all other sessions"', async () => {
    const p = a.page;
    const other = await newContext(browser);
    await loginInContext(other.context, web.url, alice);
    await openApp(p, web.url, '/profile');
    const sessions = p.getByTestId('session');
    await eventually(async () => expect(await sessions.count()).toBeGreaterThan(1));
    await p.getByRole('button', { name: 'Sign out all other sessions' }).click();
    await eventually(async () => expect(await sessions.count()).toBe(1));
    await p
      .getByRole('button', { name: 'Sign out all other sessions' })
      .waitFor({ state: 'hidden' });

    await loginInContext(other.context, web.url, alice);
    await p.reload();
    await eventually(async () => expect(await sessions.count()).toBe(2));
    await p.getByLabel('Current password').fill(alice.password);
    await p.getByLabel('New password', { exact: true }).fill('a-brand-new-password');
    await p.getByLabel('Confirm new password').fill('a-brand-new-password');
    await p.getByRole('button', { name: 'Change password' }).click();
    await p.getByText('Password changed').waitFor();
    // The list follows without a reload: only this browser is left.
    await eventually(async () => expect(await sessions.count()).toBe(1));
    await screenshot(p, 'sessions-after-password-change');
    await other.context.close();
    expect(a.errors).toEqual([]);
  });
});
