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
  openMessageMenu,
  person,
  registerInContext,
  restAs,
  screenshot,
  send,
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
let chatPath = '';

beforeAll(async () => {
  [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  for (const p of [alice, bob]) {
    people[p.username] = await newContext(browser);
    auth[p.username] = await registerInContext(people[p.username]!.context, web.url, p);
  }
  const c = await restAs(web.url, auth.alice!.token, 'POST', '/api/conversations/direct', {
    userId: auth.bob!.id,
  });
  chatPath = `/c/${c.id}`;
  await openApp(people.alice!.page, web.url, chatPath);
  await openApp(people.bob!.page, web.url, chatPath);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

const a = () => people.alice!.page;
const b = () => people.bob!.page;
const editor = (p: Page) => p.getByRole('textbox', { name: 'Edit message' });
const menuItem = (p: Page, name: string) =>
  p.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name, exact: true });

describe('acting on messages', () => {
  it('edits in place: Up arrow in an empty composer, Escape cancels, Enter saves; seen live', async () => {
    await send(a(), 'The release is on Tuesday');
    await send(a(), 'Bring the slides');
    await bubble(b(), 'Bring the slides').waitFor();

    // Up arrow edits my last message; Escape leaves it as it was and gives the composer back.
    await composer(a()).press('ArrowUp');
    await editor(a()).waitFor();
    expect(await editor(a()).inputValue()).toBe('Bring the slides');
    await editor(a()).fill('Bring the slides, please');
    await editor(a()).press('Escape');
    await editor(a()).waitFor({ state: 'hidden' });
    await bubble(a(), 'Bring the slides').waitFor();
    await eventually(async () =>
      expect(await composer(a()).evaluate((el) => el === el.ownerDocument.activeElement)).toBe(
        true,
      ),
    );

    await composer(a()).press('ArrowUp');
    await editor(a()).fill('Bring the slides and the demo');
    await screenshot(a(), 'message-edit');
    await editor(a()).press('Enter');
    for (const p of [a(), b()]) {
      await bubble(p, 'Bring the slides and the demo')
        .getByText('edited', { exact: true })
        .waitFor();
      expect(await bubble(p, 'Bring the slides').count()).toBe(0);
    }
    expect(
      await bubble(b(), 'The release is on Tuesday').getByText('edited', { exact: true }).count(),
    ).toBe(0);

    // Edit from the menu, on an older message.
    await openMessageMenu(a(), 'The release is on Tuesday');
    await screenshot(a(), 'message-menu');
    await menuItem(a(), 'Edit').click();
    await editor(a()).fill('The release is on Wednesday');
    await editor(a()).press('Enter');
    await bubble(b(), 'The release is on Wednesday').getByText('edited', { exact: true }).waitFor();

    // Bob may not edit or delete Alice's message; in a direct chat he may pin it.
    await openMessageMenu(b(), 'The release is on Wednesday');
    await menuItem(b(), 'Pin').waitFor();
    await menuItem(b(), 'Reply').waitFor();
    expect(await menuItem(b(), 'Edit').count()).toBe(0);
    expect(await menuItem(b(), 'Delete').count()).toBe(0);
    await b().keyboard.press('Escape');
    await b().getByRole('menu').waitFor({ state: 'hidden' });
  });

  it('deletes after a confirmation; the other side sees the tombstone live, never the text', async () => {
    await send(a(), 'Wrong chat, sorry! The password is hunter2');
    const text = 'Wrong chat, sorry! The password is hunter2';
    await bubble(b(), text).waitFor();

    await openMessageMenu(a(), text);
    await menuItem(a(), 'Delete').click();
    const dialog = a().getByRole('dialog', { name: 'Delete message?' });
    await dialog.getByText('will be deleted for everyone').waitFor();
    await screenshot(a(), 'message-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await bubble(a(), text).waitFor();

    await openMessageMenu(a(), text);
    await menuItem(a(), 'Delete').click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    for (const p of [a(), b()]) {
      await tombstones(p).getByText('This message was deleted').waitFor();
      await eventually(async () => expect(await p.getByText('hunter2').count()).toBe(0));
    }
    // The sidebar says so too.
    await conversationItem(b(), 'Alice Martin').getByText('This message was deleted').waitFor();
    await screenshot(b(), 'message-deleted');

    // After a reload the server's copy is the tombstone as well.
    await b().reload();
    await tombstones(b()).first().waitFor();
    expect(await b().getByText('hunter2').count()).toBe(0);
  });

  it('replies with a quote above the composer; the quote jumps to the original', async () => {
    await send(a(), 'Can you review the onboarding copy?');
    const original = bubble(b(), 'Can you review the onboarding copy?');
    await original.hover();
    await original.getByRole('button', { name: 'Reply' }).click();
    const bar = b().getByTestId('reply-bar');
    await bar.getByText('Replying to Alice Martin').waitFor();
    await bar.getByText('Can you review the onboarding copy?').waitFor();
    await screenshot(b(), 'reply-composer');

    // Escape stops replying; the menu's Reply starts again.
    await composer(b()).press('Escape');
    await bar.waitFor({ state: 'hidden' });
    await openMessageMenu(b(), 'Can you review the onboarding copy?');
    await menuItem(b(), 'Reply').click();
    await bar.waitFor();
    await send(b(), 'Yes, right after lunch.');
    await bar.waitFor({ state: 'hidden' });

    const quoteOnA = bubble(a(), 'Yes, right after lunch.').getByTestId('reply-quote');
    await quoteOnA.getByText('You', { exact: true }).waitFor();
    await quoteOnA.getByText('Can you review the onboarding copy?').waitFor();
    const quoteOnB = bubble(b(), 'Yes, right after lunch.').getByTestId('reply-quote');
    await quoteOnB.getByText('Alice Martin', { exact: true }).waitFor();

    // The quote brings the original into view, highlighted for a moment.
    for (let i = 1; i <= 12; i++) await send(a(), `Filler line ${i} to push the question up`);
    await bubble(b(), 'Filler line 12 to push the question up').waitFor();
    await send(b(), 'Replying to the copy question again');
    // The highlight lasts 2 s: watch for it (on the row, placed or not) from the click on.
    const highlighted = b()
      .locator('.msg--highlight')
      .filter({ hasText: 'Can you review the onboarding copy?' })
      .waitFor({ state: 'attached' });
    await quoteOnB.click();
    await highlighted;
    await screenshot(b(), 'reply-jump');

    // Editing the original changes the quote.
    await openMessageMenu(a(), 'Can you review the onboarding copy?');
    await menuItem(a(), 'Edit').click();
    await editor(a()).fill('Can you review the onboarding copy today?');
    await editor(a()).press('Enter');
    await quoteOnB.getByText('Can you review the onboarding copy today?').waitFor();
  });

  it('reacts: picker, chips with counts, mine highlighted, names on hover, toggling', async () => {
    await send(b(), 'The new icons are in the shared folder');
    const onA = bubble(a(), 'The new icons are in the shared folder');
    await onA.hover();
    await onA.getByRole('button', { name: 'Add reaction' }).click();
    const picker = a().getByTestId('emoji-picker');
    await picker.getByLabel('Type to search for an emoji').fill('party');
    const party = picker.locator('[data-epr-unified="1f389"]').first();
    await party.waitFor();
    await screenshot(a(), 'reaction-picker');
    await party.click();
    await picker.waitFor({ state: 'hidden' });

    const chip = (p: Page, emoji: string) =>
      bubble(p, 'The new icons are in the shared folder').locator(
        `[data-testid="reaction"][data-emoji="${emoji}"]`,
      );
    await chip(a(), '🎉').waitFor();
    expect(await chip(a(), '🎉').getAttribute('aria-pressed')).toBe('true');
    await chip(b(), '🎉').getByText('1', { exact: true }).waitFor();
    expect(await chip(b(), '🎉').getAttribute('aria-pressed')).toBe('false');
    expect(await chip(b(), '🎉').getAttribute('title')).toBe('Alice Martin reacted with 🎉');

    // Bob adds his: two; the tooltip names both.
    await chip(b(), '🎉').click();
    await chip(a(), '🎉').getByText('2', { exact: true }).waitFor();
    await eventually(async () =>
      expect(await chip(a(), '🎉').getAttribute('title')).toBe('Bob Chen and you reacted with 🎉'),
    );
    // A quick reaction from the menu.
    await openMessageMenu(b(), 'The new icons are in the shared folder');
    await b().getByRole('menuitem', { name: 'React with 👍' }).click();
    await chip(a(), '👍').getByText('1', { exact: true }).waitFor();
    await a().getByRole('textbox', { name: 'Message' }).focus();
    await screenshot(a(), 'reactions');

    // Alice takes hers back: one left, not hers.
    await chip(a(), '🎉').click();
    await chip(b(), '🎉').getByText('1', { exact: true }).waitFor();
    expect(await chip(a(), '🎉').getAttribute('aria-pressed')).toBe('false');
    // Bob takes his back: the chip goes.
    await chip(b(), '👍').click();
    await chip(a(), '👍').waitFor({ state: 'detached' });
  });

  it('pins from the menu, marks pinned messages, lists them in a panel that jumps', async () => {
    await openMessageMenu(b(), 'The release is on Wednesday');
    await menuItem(b(), 'Pin').click();
    await bubble(a(), 'The release is on Wednesday')
      .getByTestId('pinned-mark')
      .getByText('Pinned by Bob Chen')
      .waitFor();
    await bubble(b(), 'The release is on Wednesday').getByText('Pinned by you').waitFor();
    await openMessageMenu(a(), 'Yes, right after lunch.');
    await menuItem(a(), 'Pin').click();
    await bubble(b(), 'Yes, right after lunch.').getByTestId('pinned-mark').waitFor();

    await a().getByRole('button', { name: 'Pinned messages' }).click();
    const panel = a().getByTestId('pins-panel');
    await panel.getByTestId('pin').nth(1).waitFor();
    // Latest pin first.
    expect(await panel.getByTestId('pin').allInnerTexts()).toEqual([
      expect.stringContaining('Yes, right after lunch.'),
      expect.stringContaining('The release is on Wednesday'),
    ]);
    await screenshot(a(), 'pins-panel');
    const pinHighlighted = a()
      .locator('.msg--highlight')
      .filter({ hasText: 'The release is on Wednesday' })
      .waitFor({ state: 'attached' });
    await panel.getByText('The release is on Wednesday').click();
    await pinHighlighted;

    // Unpinned elsewhere: the panel follows live.
    await openMessageMenu(b(), 'Yes, right after lunch.');
    await menuItem(b(), 'Unpin').click();
    await eventually(async () => expect(await panel.getByTestId('pin').count()).toBe(1));
    await a().keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
  });

  it('works from the keyboard: arrows between messages, Enter opens the menu, Escape closes', async () => {
    const page = a();
    // The list itself is one Tab stop; Up enters the messages at the newest one on screen.
    const scroller = page.getByTestId('virtuoso-scroller');
    await scroller.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await page.getByRole('button', { name: 'Jump to the latest message' }).waitFor({
      state: 'hidden',
    });
    await scroller.focus();
    await page.keyboard.press('ArrowUp');
    const focused = () =>
      page.evaluate(() => {
        const el = (globalThis as any).document.activeElement;
        return el?.getAttribute('data-testid') === 'message' ? (el.textContent as string) : null;
      });
    await eventually(async () => expect(await focused()).toContain('The new icons'));
    await page.keyboard.press('ArrowUp');
    await eventually(async () => expect(await focused()).toContain('Replying to the copy'));
    await page.keyboard.press('ArrowDown');
    await eventually(async () => expect(await focused()).toContain('The new icons'));
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu', { name: 'Message actions' });
    await menu.waitFor();
    await screenshot(page, 'message-keyboard');
    // Focus is in the menu; arrows move through it.
    await page.keyboard.press('ArrowDown');
    expect(
      await page.evaluate(() => (globalThis as any).document.activeElement.getAttribute('role')),
    ).toBe('menuitem');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    await eventually(async () => expect(await focused()).toContain('The new icons'));
    // Escape on a message goes back to the composer.
    await page.keyboard.press('Escape');
    expect(await composer(page).evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
  });

  it('on a phone, a long press opens the actions as a sheet; dark theme matches', async () => {
    const phone = await newContext(browser, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await loginInContext(phone.context, web.url, bob);
    await openApp(phone.page, web.url);
    await conversationItem(phone.page, 'Alice Martin').click();
    const target = bubble(phone.page, 'The new icons are in the shared folder');
    await target.waitFor();
    const box = (await target.locator('.bubble').boundingBox())!;
    const cdp = await phone.context.newCDPSession(phone.page);
    const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
    await phone.page.waitForTimeout(700);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    const menu = phone.page.getByRole('menu', { name: 'Message actions' });
    await menu.waitFor();
    await screenshot(phone.page, 'phone-message-menu');
    await menu.getByRole('menuitem', { name: 'Reply', exact: true }).click();
    await phone.page.getByTestId('reply-bar').waitFor();
    await screenshot(phone.page, 'phone-reply');
    await phone.context.close();

    const dark = await newContext(browser, { colorScheme: 'dark' });
    await loginInContext(dark.context, web.url, alice);
    await openApp(dark.page, web.url, chatPath);
    await bubble(dark.page, 'Yes, right after lunch.').waitFor();
    await openMessageMenu(dark.page, 'Yes, right after lunch.');
    await screenshot(dark.page, 'dark-message-menu');
    await dark.page.keyboard.press('Escape');
    // Pins, edits, the tombstone and a quote, in the dark theme.
    await dark.page.getByRole('button', { name: 'Pinned messages' }).click();
    await dark.page.getByTestId('pins-panel').getByText('The release is on Wednesday').click();
    await tombstones(dark.page).first().waitFor();
    await dark.page.mouse.move(0, 0);
    await screenshot(dark.page, 'dark-message-states');
    await dark.context.close();
    expect([...phone.errors, ...dark.errors]).toEqual([]);
    for (const p of Object.values(people)) expect(p.errors).toEqual([]);
  });
});
