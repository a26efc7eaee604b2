// The admin console in the browser: find and deactivate a user (their open session ends), invite
// someone who signs up with the link, close registration; axe on every tab in both themes and at
// phone width, and the screenshots of the three tabs.
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atPath,
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

const rita = person('rita', 'Rita Root');
const bob = person('bob', 'Bob Chen');
const carol = person('carol', 'Carol Diaz');
const dave = person('dave', 'Dave Invited');

let web: WebServer;
let browser: Browser;

beforeAll(async () => {
  [web, browser] = await Promise.all([startWebServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

/** axe's serious and critical findings on what the page shows now, as readable lines. */
async function audit(page: Page, view: string): Promise<string[]> {
  await page.waitForTimeout(250);
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${view}: ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

const TABS = [
  { name: 'Users', path: '/admin', ready: (p: Page) => p.getByTestId('admin-user').first() },
  { name: 'Overview', path: '/admin/overview', ready: (p: Page) => p.getByTestId('stat').first() },
  {
    name: 'Registration',
    path: '/admin/registration',
    ready: (p: Page) => p.getByTestId('invite').first(),
  },
] as const;

/** Opens each tab by its address (of those `visit` keeps), audits it, and takes its picture. */
async function tour(
  page: Page,
  suffix: string,
  findings: string[],
  visit: (tab: string) => boolean,
): Promise<void> {
  for (const tab of TABS.filter((t) => visit(t.name))) {
    // Not openApp: at phone width the conversation list is not shown beside a page.
    await page.goto(web.url + tab.path);
    await page.getByRole('tab', { name: tab.name, selected: true }).waitFor();
    const notNow = page.getByRole('button', { name: 'Not now' });
    if (await notNow.isVisible()) await notNow.click();
    await tab.ready(page).waitFor();
    findings.push(...(await audit(page, `${tab.name}${suffix}`)));
    await screenshot(page, `admin-${tab.name.toLowerCase()}${suffix}`);
  }
}

describe('the admin console', () => {
  it(
    'finds and deactivates a user, invites one, closes registration',
    { timeout: 240_000 },
    async () => {
      const admin = await newContext(browser);
      const ritaAuth = await registerInContext(admin.context, web.url, rita); // first: the admin
      const bobTab = await newContext(browser);
      const bobAuth = await registerInContext(bobTab.context, web.url, bob);
      const carolTab = await newContext(browser);
      const carolAuth = await registerInContext(carolTab.context, web.url, carol);
      await carolTab.context.close();
      // Something to count on the overview.
      const direct = await restAs(web.url, bobAuth.token, 'POST', '/api/conversations/direct', {
        userId: carolAuth.id,
      });
      await restAs(web.url, carolAuth.token, 'POST', `/api/conversations/${direct.id}/messages`, {
        body: 'Hello Bob',
      });
      await restAs(web.url, ritaAuth.token, 'POST', '/api/conversations', {
        name: 'Team',
        isPrivate: false,
        memberIds: [bobAuth.id, carolAuth.id],
      });

      // Bob is no admin: no way in from the sidebar, and the address shows him nothing.
      await openApp(bobTab.page, web.url);
      expect(await bobTab.page.getByRole('link', { name: 'Server administration' }).count()).toBe(
        0,
      );
      await openApp(bobTab.page, web.url, '/admin');
      await bobTab.page.getByRole('heading', { name: 'This page is for server admins' }).waitFor();
      expect(await bobTab.page.getByRole('tab').count()).toBe(0);
      await openApp(bobTab.page, web.url, '/');

      // Rita opens the console from the sidebar and finds Bob.
      const p = admin.page;
      await openApp(p, web.url);
      await p.getByRole('link', { name: 'Server administration' }).click();
      await atPath(p, '/admin');
      await p.getByRole('tab', { name: 'Users', selected: true }).waitFor();
      await p.getByRole('searchbox', { name: 'Search users' }).fill('BOB');
      const row = p.locator('[data-testid="admin-user"][data-username="bob"]');
      await row.waitFor();
      await expect.poll(() => p.getByTestId('admin-user').count()).toBe(1);
      await row.getByText('Active', { exact: true }).waitFor();

      // Deactivating asks first; Bob's open session then ends in his browser.
      await row.getByRole('button', { name: 'Deactivate Bob Chen' }).click();
      const dialog = p.getByRole('dialog', { name: 'Deactivate Bob Chen?' });
      await dialog.getByRole('button', { name: 'Deactivate' }).click();
      await dialog.waitFor({ state: 'detached' });
      await row.getByText('Deactivated', { exact: true }).waitFor();
      await bobTab.page.waitForURL(/\/login/, { timeout: 20_000 });
      await bobTab.page.getByRole('button', { name: 'Sign in' }).waitFor();
      await bobTab.context.close();

      // The tabs answer the arrow keys.
      await p.getByRole('tab', { name: 'Users' }).focus();
      await p.keyboard.press('ArrowRight');
      await atPath(p, '/admin/overview');
      await expect
        .poll(() =>
          p.evaluate(() => {
            const doc = (
              globalThis as unknown as {
                document: { activeElement: { textContent: string | null } | null };
              }
            ).document;
            return doc.activeElement?.textContent ?? '';
          }),
        )
        .toBe('Overview');
      await p.getByTestId('stat').first().waitFor();

      // Invite-only, and an invite for one person.
      await p.getByRole('tab', { name: 'Registration' }).click();
      await p.getByRole('radio', { name: /Invite only/ }).check();
      await p.getByText('Saved: registration is invite only.').waitFor();
      await p.getByLabel('Expires after').selectOption({ label: '1 day' });
      await p.getByLabel('Number of uses').fill('1');
      await p.getByRole('button', { name: 'Create invite' }).click();
      const link = await p.getByTestId('new-invite-link').inputValue();
      expect(link).toMatch(new RegExp(`^${web.url}/signup\\?invite=[A-Za-z0-9_-]{32}$`));

      // A newcomer signs up with the link.
      const guest = await newContext(browser, {}, { firstVisit: true });
      await guest.page.goto(link);
      await guest.page.getByTestId('invited').waitFor();
      expect(await guest.page.getByLabel('Invite link').inputValue()).toBe(
        new URL(link).searchParams.get('invite'),
      );
      await guest.page.getByLabel('Username').fill(dave.username);
      await guest.page.getByLabel('Display name').fill(dave.displayName);
      await guest.page.getByLabel('Email').fill(dave.email);
      await guest.page.getByLabel('Password', { exact: true }).fill(dave.password);
      await guest.page.getByLabel('Confirm password').fill(dave.password);
      await guest.page.getByRole('button', { name: 'Create account' }).click();
      await guest.page.getByRole('complementary', { name: 'Conversations' }).waitFor();
      expect(guest.errors).toEqual([]);
      await guest.context.close();

      // The invite is used up; then registration closes, and the sign-up page says so.
      await p.reload();
      await p.getByTestId('invite').first().getByText('Used up').waitFor();
      await p.getByRole('radio', { name: /Closed/ }).check();
      await p.getByText('Saved: registration is closed.').waitFor();
      const visitor = await newContext(browser, {}, { firstVisit: true });
      await visitor.page.goto(`${web.url}/signup`);
      await visitor.page.getByRole('heading', { name: 'Registration is closed' }).waitFor();
      await visitor.page.getByTestId('registration-closed').waitFor();
      expect(await visitor.page.getByRole('button', { name: 'Create account' }).count()).toBe(0);
      await visitor.context.close();

      // A second invite, revoked, for the list's picture.
      await p.getByRole('button', { name: 'Create invite' }).click();
      await expect.poll(() => p.getByTestId('invite').count()).toBe(2);
      await p
        .getByRole('button', { name: /^Revoke invite/ })
        .first()
        .click();
      await p.getByTestId('invite').first().getByText('Revoked').waitFor();
      expect(admin.errors).toEqual([]);
      await admin.context.close();
    },
  );

  // One test per look, each with room for a loaded machine (axe takes seconds per page).
  for (const [label, suffix, opts] of [
    ['light', '', { colorScheme: 'light' as const }],
    ['dark', '-dark', { colorScheme: 'dark' as const }],
    [
      'phone-sized',
      '-phone',
      { colorScheme: 'light' as const, viewport: { width: 390, height: 844 } },
    ],
  ] as const) {
    it(`is axe-clean on its tabs, ${label}; screenshots`, { timeout: 240_000 }, async () => {
      const findings: string[] = [];
      const t = await newContext(browser, opts);
      await loginInContext(t.context, web.url, rita);
      // At phone width the users list, which changes most, is enough (the tabs share the
      // layout the other looks audit): the suite's time is budgeted.
      await tour(t.page, suffix, findings, (tab) => suffix !== '-phone' || tab === 'Users');
      if (suffix === '') {
        // The confirmation, audited too.
        await openApp(t.page, web.url, '/admin');
        await t.page.getByRole('button', { name: 'Sign out Carol Diaz everywhere' }).click();
        await t.page.getByRole('dialog', { name: 'Sign out Carol Diaz everywhere?' }).waitFor();
        findings.push(...(await audit(t.page, 'dialog: sign out everywhere')));
        await t.page.keyboard.press('Escape');
      }
      expect(t.errors).toEqual([]);
      await t.context.close();
      expect(findings).toEqual([]);
    });
  }
});
