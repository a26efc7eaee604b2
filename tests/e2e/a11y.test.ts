import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bubble,
  launchBrowser,
  newContext,
  openApp,
  openMessageMenu,
  person,
  registerInContext,
  restAs,
  screenshot,
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

interface Finding {
  view: string;
  theme: string;
  rule: string;
  impact: string;
  count: number;
  nodes: string[];
}

/** Runs axe on what the page shows now; returns the serious and critical findings. */
async function audit(page: Page, view: string, theme: string): Promise<Finding[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      view,
      theme,
      rule: v.id,
      impact: v.impact ?? '',
      count: v.nodes.length,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
    }));
}

/** Prints the findings per view (the numbers the closing note quotes). */
function report(findings: Finding[], views: string[]): string {
  const lines = views.map((v) => {
    const here = findings.filter((f) => `${f.theme}/${f.view}` === v);
    const nodes = here.reduce((n, f) => n + f.count, 0);
    return `${v}: ${here.length} rules, ${nodes} nodes${here.length ? ` (${here.map((f) => f.rule).join(', ')})` : ''}`;
  });
  return lines.join('\n');
}

describe('a first visit', () => {
  it('logs nothing in the console: no request that can only fail', async () => {
    const t = await newContext(browser, {}, { firstVisit: true });
    const console: string[] = [];
    const failed: string[] = [];
    t.page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.push(`${m.type()}: ${m.text()}`);
    });
    t.page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await t.page.goto(`${web.url}/`);
    await t.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await t.page.goto(`${web.url}/signup`);
    await t.page.getByRole('button', { name: 'Create account' }).waitFor();
    await t.page.waitForTimeout(500);
    expect(failed).toEqual([]);
    expect(console).toEqual([]);
    expect(t.errors).toEqual([]);
    await t.context.close();
  });
});

describe('accessibility (axe-core: no serious or critical violations)', () => {
  it('sign-in, chat, group settings, profile and every dialog, in light and dark', async () => {
    const findings: Finding[] = [];
    const views: string[] = [];
    const bobTab = await newContext(browser);
    const bobAuth = await registerInContext(bobTab.context, web.url, bob);
    await bobTab.context.close();

    for (const theme of ['light', 'dark'] as const) {
      const t = await newContext(browser, { colorScheme: theme });
      const p = t.page;
      const check = async (view: string) => {
        views.push(`${theme}/${view}`);
        // Dialogs and popovers fade in: measure colours once they are there.
        await p.waitForTimeout(250);
        findings.push(...(await audit(p, view, theme)));
      };

      await p.goto(`${web.url}/login`);
      await p.getByRole('button', { name: 'Sign in' }).waitFor();
      await check('sign-in');
      await p.goto(`${web.url}/signup`);
      await p.getByRole('button', { name: 'Create account' }).waitFor();
      await check('sign-up');

      const me = person(`alice_${theme}`, alice.displayName);
      const auth = await registerInContext(t.context, web.url, me);
      const direct = await restAs(web.url, auth.token, 'POST', '/api/conversations/direct', {
        userId: bobAuth.id,
      });
      await restAs(web.url, bobAuth.token, 'POST', `/api/conversations/${direct.id}/messages`, {
        body: 'Hello there, **welcome** to `Parley` — see https://example.com',
      });
      await restAs(web.url, auth.token, 'POST', `/api/conversations/${direct.id}/messages`, {
        body: 'Thanks! Glad to be here.',
      });
      const group = await restAs(web.url, auth.token, 'POST', '/api/conversations', {
        name: 'Design & UX',
        topic: 'Everything about the look',
        isPrivate: false,
        memberIds: [bobAuth.id],
      });
      await restAs(web.url, bobAuth.token, 'POST', `/api/conversations/${group.id}/messages`, {
        body: 'Morning all',
      });

      await openApp(p, web.url, `/c/${direct.id}`);
      await bubble(p, 'Thanks! Glad to be here.').waitFor();
      await check('chat (direct)');

      await openApp(p, web.url, `/c/${group.id}`);
      await bubble(p, 'Morning all').waitFor();
      await check('chat (group)');

      await p.getByRole('link', { name: 'Group settings' }).click();
      await p.getByTestId('group-settings').getByText('Members').waitFor();
      await check('group settings');
      await p.getByRole('button', { name: 'Leave group' }).click();
      await p.getByRole('dialog', { name: 'Leave group?' }).waitFor();
      await check('dialog: leave group');
      await p.keyboard.press('Escape');

      await openApp(p, web.url, `/c/${direct.id}`);
      await openMessageMenu(p, 'Thanks! Glad to be here.');
      await check('menu: message actions');
      await p.getByRole('menuitem', { name: 'Delete' }).click();
      await p.getByRole('dialog', { name: 'Delete message?' }).waitFor();
      await check('dialog: delete message');
      await p.keyboard.press('Escape');

      await p.getByRole('button', { name: 'New chat' }).first().click();
      await p.getByRole('dialog', { name: 'New chat' }).waitFor();
      await check('dialog: new chat');
      await p.keyboard.press('Escape');
      await p.getByRole('button', { name: 'New group' }).click();
      await p.getByRole('dialog', { name: 'New group' }).waitFor();
      await check('dialog: new group');
      await p.keyboard.press('Escape');
      await p.getByRole('button', { name: 'Search messages' }).click();
      await p.getByRole('dialog', { name: 'Search messages' }).waitFor();
      await check('dialog: search');
      await p.keyboard.press('Escape');
      await p.keyboard.press('Control+k');
      await p.getByRole('dialog', { name: 'Jump to a conversation' }).waitFor();
      await check('dialog: quick switcher');
      await p.keyboard.press('Escape');
      await p.getByRole('button', { name: 'Profile of Bob Chen' }).first().click();
      await p.getByTestId('profile-card').waitFor();
      await check('profile card');
      await p.keyboard.press('Escape');
      await p.getByRole('button', { name: 'Insert emoji' }).click();
      await p
        .getByRole('dialog', { name: 'Insert an emoji' })
        .getByRole('gridcell')
        .first()
        .waitFor();
      await check('emoji picker');
      await p.keyboard.press('Escape');

      await openApp(p, web.url, '/profile');
      await p.getByRole('heading', { name: 'Profile and settings' }).waitFor();
      await p.getByTestId('session').first().waitFor();
      await check('profile');
      await openApp(p, web.url, '/browse');
      await check('browse groups');
      if (theme === 'dark') await screenshot(p, 'a11y-dark-browse');
      await t.context.close();
    }
    console.log(`axe, serious and critical:\n${report(findings, views)}`);
    expect(findings).toEqual([]);
  });
});
