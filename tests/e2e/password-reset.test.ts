import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mailbox, resetLinkOf } from '../helpers/mailbox.js';
import {
  atPath,
  launchBrowser,
  newContext,
  person,
  screenshot,
  startWebServer,
  type WebServer,
} from './harness.js';

const dora = person('dora', 'Dora Lindqvist');
const fresh = 'dora-a-new-and-better-passphrase';

let box: Mailbox;
let web: WebServer;
/** A server without SMTP. */
let bare: WebServer;
let browser: Browser;

beforeAll(async () => {
  box = await Mailbox.start();
  [web, bare, browser] = await Promise.all([
    startWebServer({
      SMTP_URL: `smtp://127.0.0.1:${box.port}`,
      MAIL_FROM: 'Parley <chat@example.com>',
    }),
    startWebServer(),
    launchBrowser(),
  ]);
  const res = await fetch(`${web.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: dora.username,
      email: dora.email,
      password: dora.password,
      displayName: dora.displayName,
    }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([web?.close(), bare?.close()]);
  await box?.close();
});

describe('forgotten password', () => {
  it('mails a link from "Forgot password?", sets a new password with it and signs in', async () => {
    const { page, errors } = await newContext(browser, {}, { firstVisit: true });
    await page.goto(web.url + '/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await atPath(page, '/forgot-password');
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await screenshot(page, 'forgot-password');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'forgot-password-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // A malformed address is refused by the server, next to the field.
    await page.getByLabel('Email').fill('dora-at-example');
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText('Invalid email address').waitFor();
    await page.getByLabel('Email').fill(dora.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByTestId('reset-requested').waitFor();
    expect(await page.getByTestId('reset-requested').textContent()).toContain(
      `If an account uses ${dora.email}, we sent it a link`,
    );
    await screenshot(page, 'forgot-password-sent');

    const { link } = resetLinkOf(await box.nth(dora.email, 1));
    expect(link.startsWith(`${web.url}/reset-password?token=`)).toBe(true);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('Confirm new password').fill(fresh + '!');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByText('The two passwords do not match').waitFor();
    await screenshot(page, 'reset-password');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'reset-password-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('Confirm new password').fill(fresh);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByTestId('reset-done').waitFor();

    await page.getByRole('link', { name: 'Sign in' }).click();
    await atPath(page, '/login');
    await page.getByLabel('Username or email').fill(dora.email);
    await page.getByLabel('Password').fill(fresh);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('complementary', { name: 'Conversations' }).waitFor();

    // The link worked once.
    const again = await newContext(browser, {}, { firstVisit: true });
    await again.page.goto(link);
    await again.page.getByLabel('New password', { exact: true }).fill('one more passphrase');
    await again.page.getByLabel('Confirm new password').fill('one more passphrase');
    await again.page.getByRole('button', { name: 'Set new password' }).click();
    await again.page.getByTestId('reset-link-invalid').waitFor();
    await again.page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
    await again.context.close();
    expect(errors).toEqual([]);
  });

  it('without SMTP, tells how the operator resets a password', async () => {
    const { page, context, errors } = await newContext(browser, {}, { firstVisit: true });
    await page.goto(bare.url + '/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    const help = page.getByTestId('reset-by-operator');
    await help.waitFor();
    expect(await help.textContent()).toContain('parley user reset-password <username|email>');
    expect(await page.getByLabel('Email').count()).toBe(0);
    await screenshot(page, 'forgot-password-operator');
    await context.close();
    expect(errors).toEqual([]);
  });
});
