import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
  type WebServer,
  startWebServer,
} from './harness.js';

const alice = person('alice', 'Alice Martin');
const bob = person('bob', 'Bob Chen');
const carol = person('carol', 'Carol Diaz');
const GROUP = 'Launch crew';

let web: WebServer;
let browser: Browser;
type Tab = { context: BrowserContext; page: Page; errors: string[] };
let a: Tab;
let b1: Tab;
let b2: Tab;
const auth: Record<string, { id: number; token: string }> = {};
let groupPath = '';
let groupId = 0;
/** Alice posts to the group over REST while Bob's windows watch. */
const alicePosts = (body: string) =>
  restAs(web.url, auth.alice!.token, 'POST', `/api/conversations/${groupId}/messages`, { body });

/**
 * Records every desktop notification the page creates (then lets the browser's own
 * Notification show it), and lets the test say the window is in the background.
 */
const RECORD_NOTIFICATIONS = `
  window.__notes = [];
  window.__background = false;
  const Real = window.Notification;
  function Recording(title, options) {
    window.__notes.push({ title, body: options && options.body });
    try { return new Real(title, options); } catch { return { close() {} }; }
  }
  Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
  Recording.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recording;
  const hasFocus = Document.prototype.hasFocus;
  Document.prototype.hasFocus = function () {
    return window.__background ? false : hasFocus.call(this);
  };
`;

async function bobTab(register: boolean): Promise<Tab> {
  const tab = await newContext(browser);
  await tab.context.grantPermissions(['notifications'], { origin: web.url });
  await tab.context.addInitScript(RECORD_NOTIFICATIONS);
  auth.bob = register
    ? await registerInContext(tab.context, web.url, bob)
    : await loginInContext(tab.context, web.url, bob);
  return tab;
}

const notes = (p: Page) =>
  p.evaluate(
    () => (globalThis as unknown as { __notes: Array<{ title: string; body: string }> }).__notes,
  );
const setBackground = (p: Page, on: boolean) =>
  p.evaluate((v) => {
    (globalThis as unknown as { __background: boolean }).__background = v;
    (globalThis as unknown as { __notes: unknown[] }).__notes = [];
  }, on);
const favicon = (p: Page) =>
  p.evaluate(() =>
    (
      globalThis as unknown as {
        document: { querySelector(s: string): { getAttribute(a: string): string | null } | null };
      }
    ).document
      .querySelector('link[rel~="icon"]')!
      .getAttribute('href'),
  );
const bell = (p: Page) => p.getByRole('button', { name: 'Notification settings' });
const picker = (p: Page) => p.getByRole('listbox', { name: 'Mention someone' });

beforeAll(async () => {
  [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  a = await newContext(browser);
  auth.alice = await registerInContext(a.context, web.url, alice);
  b1 = await bobTab(true);
  b2 = await bobTab(false);
  const c = await newContext(browser);
  auth.carol = await registerInContext(c.context, web.url, carol);
  await c.context.close();
  const group = await restAs(web.url, auth.alice.token, 'POST', '/api/conversations', {
    name: GROUP,
    isPrivate: true,
    memberIds: [auth.bob!.id, auth.carol.id],
  });
  groupId = group.id;
  groupPath = `/c/${groupId}`;
  await openApp(a.page, web.url, groupPath);
  await openApp(b1.page, web.url);
  await openApp(b2.page, web.url);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

describe('mentions', () => {
  it('typing @ offers the members; keys pick one; the mention shows as a chip and a badge', async () => {
    const box = composer(a.page);
    await box.click();
    await box.pressSequentially('Can you review the deck, @');
    await picker(a.page).waitFor();
    const names = () => picker(a.page).getByRole('option').allTextContents();
    expect(await names()).toEqual(['BCBob Chen@bob', 'CDCarol Diaz@carol']);
    await screenshot(a.page, 'mention-picker');
    // Filtered as one types, by display name too ("di" → Carol Diaz).
    await box.pressSequentially('di');
    await eventually(async () => expect(await names()).toEqual(['CDCarol Diaz@carol']));
    await box.press('Backspace');
    await box.press('Backspace');
    await eventually(async () => expect(await names()).toHaveLength(2));
    await box.press('ArrowDown');
    await box.press('ArrowUp');
    const active = picker(a.page).getByRole('option', { selected: true });
    expect(await active.textContent()).toContain('@bob');
    await box.press('Enter');
    await picker(a.page).waitFor({ state: 'hidden' });
    expect(await box.inputValue()).toBe('Can you review the deck, @bob ');
    // Escape closes the list without sending or changing anything.
    await box.pressSequentially('and @');
    await picker(a.page).waitFor();
    await box.press('Escape');
    await picker(a.page).waitFor({ state: 'hidden' });
    await box.press('Backspace');
    await box.pressSequentially('ask carol?');
    expect(await box.inputValue()).toBe('Can you review the deck, @bob and ask carol?');
    await box.press('Enter');

    const text = 'Can you review the deck, @bob and ask carol?';
    const mine = bubble(a.page, text);
    await mine.getByTestId('mention').waitFor();
    expect(await mine.getByTestId('mention').allTextContents()).toEqual(['@bob']);

    // Bob, elsewhere in the app: an @ badge beside the unread count.
    const item = conversationItem(b1.page, GROUP);
    await item.getByTestId('mention-badge').waitFor();
    expect(await item.getByTestId('mention-badge').textContent()).toBe('@');
    expect(await item.getByTestId('unread-badge').textContent()).toBe('1');
    expect(await favicon(b1.page)).toBe('/favicon-unread.svg');
    expect(await b1.page.title()).toBe('(1) Parley');
    await screenshot(b1.page, 'mention-badge');

    // He opens it: the chip of his name stands out, the message is marked; reading clears it.
    await item.click();
    const his = bubble(b1.page, text);
    const chip = his.getByTestId('mention');
    await chip.waitFor();
    expect(await chip.getAttribute('data-me')).toBe('true');
    expect(await his.getAttribute('data-mentions-me')).toBe('true');
    await screenshot(b1.page, 'mention-chip');
    for (const p of [b1.page, b2.page]) {
      await conversationItem(p, GROUP).getByTestId('mention-badge').waitFor({ state: 'detached' });
    }
    expect(await conversationItem(b2.page, GROUP).getByTestId('unread-badge').count()).toBe(0);
    await eventually(async () => expect(await favicon(b1.page)).toBe('/favicon.svg'));
  });

  it('notify levels: set in one browser, shown live in the other; only mentions notify', async () => {
    await conversationItem(b2.page, GROUP).click();
    await bell(b2.page).waitFor();
    expect(await bell(b2.page).getAttribute('data-notify')).toBe('all');

    await bell(b1.page).click();
    const menu = b1.page.getByRole('menu', { name: 'Notification settings' });
    await menu.waitFor();
    expect(
      await menu.getByRole('menuitemradio', { name: /All messages/ }).getAttribute('aria-checked'),
    ).toBe('true');
    await screenshot(b1.page, 'notify-menu');
    await menu.getByRole('menuitemradio', { name: /Only @mentions/ }).click();
    await menu.waitFor({ state: 'hidden' });

    // The other browser of the same user follows at once (conversation:updated).
    await eventually(async () =>
      expect(await bell(b2.page).getAttribute('data-notify')).toBe('mentions'),
    );
    await bell(b2.page).click();
    const menu2 = b2.page.getByRole('menu', { name: 'Notification settings' });
    expect(
      await menu2
        .getByRole('menuitemradio', { name: /Only @mentions/ })
        .getAttribute('aria-checked'),
    ).toBe('true');
    await b2.page.keyboard.press('Escape');
    await menu2.waitFor({ state: 'hidden' });

    // Both of Bob's windows go to the background, away from the group.
    for (const p of [b1.page, b2.page]) {
      await p.goto(`${web.url}/`);
      await p.getByRole('complementary', { name: 'Conversations' }).waitFor();
      await setBackground(p, true);
    }
    await alicePosts('Lunch is here, come and get it');
    for (const p of [b1.page, b2.page]) {
      await conversationItem(p, GROUP).getByText('Lunch is here', { exact: false }).waitFor();
    }
    await b1.page.waitForTimeout(500);
    expect(await notes(b1.page)).toEqual([]);
    expect(await notes(b2.page)).toEqual([]);

    await alicePosts('@bob the build is green');
    for (const p of [b1.page, b2.page]) {
      await eventually(async () =>
        expect(await notes(p)).toEqual([
          { title: `Alice Martin mentioned you in ${GROUP}`, body: '@bob the build is green' },
        ]),
      );
    }
  });

  it('muting quiets the conversation everywhere: no notification, no count in the title', async () => {
    await setBackground(b1.page, false);
    await conversationItem(b1.page, GROUP).click();
    await bell(b1.page).click();
    await b1.page
      .getByRole('menu', { name: 'Notification settings' })
      .getByRole('menuitemcheckbox', { name: /Mute conversation/ })
      .click();
    await eventually(async () =>
      expect(await bell(b1.page).getAttribute('data-muted')).toBe('true'),
    );
    await b1.page.goto(`${web.url}/`);
    await b1.page.getByRole('complementary', { name: 'Conversations' }).waitFor();
    await setBackground(b1.page, true);

    const item = conversationItem(b2.page, GROUP);
    await item.getByRole('img', { name: 'Muted' }).waitFor();
    await setBackground(b2.page, true);
    await alicePosts('@bob one more thing about the deck');
    for (const p of [b1.page, b2.page]) {
      const it = conversationItem(p, GROUP);
      await it.getByText('one more thing', { exact: false }).waitFor();
      await it.getByTestId('mention-badge').waitFor();
      expect(await it.getAttribute('class')).toContain('conv--muted');
      expect(await p.title()).toBe('Parley');
      expect(await favicon(p)).toBe('/favicon.svg');
    }
    await b1.page.waitForTimeout(500);
    expect(await notes(b1.page)).toEqual([]);
    expect(await notes(b2.page)).toEqual([]);
    await screenshot(b2.page, 'muted-conversation');
    for (const t of [a, b1, b2]) expect(t.errors).toEqual([]);
  });

  it('the editor offers mentions too; phone width and dark theme', async () => {
    // Alice edits her last message in place and adds a mention from the list.
    const box = composer(a.page);
    await box.click();
    await box.press('ArrowUp');
    const editor = a.page.getByRole('textbox', { name: 'Edit message' });
    await editor.waitFor();
    await editor.press('End');
    await editor.pressSequentially(' cc @car');
    await picker(a.page)
      .getByRole('option', { name: /Carol Diaz/ })
      .waitFor();
    await screenshot(a.page, 'mention-picker-editor');
    await editor.press('Tab');
    expect(await editor.inputValue()).toMatch(/ cc @carol $/);
    await editor.press('Enter');
    await editor.waitFor({ state: 'hidden' });

    const phone = await newContext(browser, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await loginInContext(phone.context, web.url, bob);
    await openApp(phone.page, web.url);
    await conversationItem(phone.page, GROUP).getByTestId('mention-badge').waitFor();
    await screenshot(phone.page, 'phone-mention-badge');
    await conversationItem(phone.page, GROUP).click();
    await composer(phone.page).pressSequentially('Thanks @al');
    await picker(phone.page).waitFor();
    await screenshot(phone.page, 'phone-mention-picker');
    await phone.context.close();

    const dark = await newContext(browser, { colorScheme: 'dark' });
    await loginInContext(dark.context, web.url, bob);
    await openApp(dark.page, web.url, groupPath);
    await dark.page.getByTestId('mention').first().waitFor();
    await bell(dark.page).click();
    await dark.page.getByRole('menu', { name: 'Notification settings' }).waitFor();
    await screenshot(dark.page, 'dark-mentions');
    await dark.page.keyboard.press('Escape');

    // The sound is a preference of this browser, on unless turned off.
    await dark.page.goto(`${web.url}/profile`);
    const sound = dark.page.getByRole('checkbox', { name: 'Play a sound for new messages' });
    expect(await sound.isChecked()).toBe(true);
    await dark.page.getByText('Play a sound for new messages').click();
    expect(await sound.isChecked()).toBe(false);
    expect(
      await dark.page.evaluate(() =>
        (
          globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
        ).localStorage.getItem('parley.sound'),
      ),
    ).toBe('0');
    await dark.page.getByRole('heading', { name: 'Notifications' }).scrollIntoViewIfNeeded();
    await screenshot(dark.page, 'dark-notification-preferences');
    await dark.page.reload();
    await sound.waitFor();
    expect(await sound.isChecked()).toBe(false);
    await dark.context.close();
    expect([...phone.errors, ...dark.errors]).toEqual([]);
  });
});
