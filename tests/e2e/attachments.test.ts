import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  composer,
  conversationItem,
  eventually,
  launchBrowser,
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

let web: WebServer;
let browser: Browser;
const people: Record<string, { context: BrowserContext; page: Page; errors: string[] }> = {};
const auth: Record<string, { id: number; token: string }> = {};
let chatPath = '';

/** A picture with something to see in it, as PNG or JPEG bytes. */
async function picture(
  width: number,
  height: number,
  [from, to]: [string, string],
  format: 'png' | 'jpeg',
): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/>
    </linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width * 0.7}" cy="${height * 0.32}" r="${Math.min(width, height) * 0.12}" fill="#fef3c7"/>
    <path d="M0 ${height} L${width * 0.35} ${height * 0.45} L${width * 0.6} ${height * 0.75} L${width * 0.78} ${height * 0.55} L${width} ${height} Z" fill="#1e293b" opacity="0.75"/>
  </svg>`;
  const img = sharp(Buffer.from(svg));
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 85 }).toBuffer();
}

let lake: Buffer;
let dunes: Buffer;
let forest: Buffer;

beforeAll(async () => {
  [web, browser, lake, dunes, forest] = await Promise.all([
    startWebServer({ MAX_UPLOAD_MB: '2' }),
    launchBrowser(),
    picture(960, 600, ['#0ea5e9', '#6366f1'], 'png'),
    picture(480, 720, ['#f59e0b', '#ef4444'], 'png'),
    picture(800, 800, ['#22c55e', '#0f766e'], 'jpeg'),
  ]);
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
const chips = (p: Page) => p.getByTestId('pending-upload');
const chip = (p: Page, name: string) => chips(p).filter({ hasText: name });
const sendButton = (p: Page) => p.getByRole('button', { name: 'Send', exact: true });
const lastMessage = (p: Page) => p.getByTestId('message').last();
const viewer = (p: Page) => p.getByTestId('image-viewer');

/** Chooses files through the composer's attach button and the system file picker. */
async function attach(
  p: Page,
  files: Array<{ name: string; mimeType: string; buffer: Buffer }>,
): Promise<void> {
  const [chooser] = await Promise.all([
    p.waitForEvent('filechooser'),
    p.getByRole('button', { name: 'Attach files' }).click(),
  ]);
  expect(chooser.isMultiple()).toBe(true);
  await chooser.setFiles(files);
}

/** Pastes a PNG into the composer as the browser does for a copied image. */
async function pastePng(p: Page, name: string, bytes: Buffer): Promise<void> {
  await composer(p).focus();
  await composer(p).evaluate(
    (el, [fileName, b64]) => {
      const g = globalThis as any;
      const raw = atob(b64!);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      const dt = new g.DataTransfer();
      dt.items.add(new File([data], fileName!, { type: 'image/png' }));
      el.dispatchEvent(
        new g.ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }),
      );
    },
    [name, bytes.toString('base64')],
  );
}

/** Serious and critical axe findings on the page as it is now. */
async function axe(p: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: p }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

/** The uploads of a user that no message carries, as the server holds them. */
async function unattached(userId: number): Promise<number> {
  const rows = await web.server.deps.db
    .selectFrom('files')
    .select('id')
    .where('owner_id', '=', userId)
    .where('kind', '=', 'attachment')
    .where('message_id', 'is', null)
    .execute();
  return rows.length;
}

describe('files and images in messages', () => {
  it('attaches by the button and by pasting, sends pictures alone, shows them on the other side', async () => {
    await attach(a(), [{ name: 'lake.png', mimeType: 'image/png', buffer: lake }]);
    await chip(a(), 'lake.png').and(a().locator('[data-status="done"]')).waitFor();
    await pastePng(a(), 'dunes.png', dunes);
    await chip(a(), 'dunes.png').and(a().locator('[data-status="done"]')).waitFor();
    expect(await chips(a()).count()).toBe(2);
    // Nothing was typed: the picture did not paste as text.
    expect(await composer(a()).inputValue()).toBe('');
    expect(await sendButton(a()).isEnabled()).toBe(true);
    await screenshot(a(), 'attachments-composer');
    expect(await axe(a())).toEqual([]);

    await sendButton(a()).click();
    await eventually(async () => expect(await chips(a()).count()).toBe(0));

    // Bob: a grid of two thumbnails, loaded through the files cookie, alt text from the names.
    const message = lastMessage(b());
    await message.getByRole('img', { name: 'lake.png' }).waitFor();
    await message.getByRole('img', { name: 'dunes.png' }).waitFor();
    await eventually(async () => {
      const sizes = await message
        .getByRole('img')
        .evaluateAll((imgs) => imgs.map((i) => [(i as any).naturalWidth, i.getAttribute('src')]));
      expect(sizes).toHaveLength(2);
      for (const [natural, src] of sizes) {
        expect(natural).toBeGreaterThan(0);
        expect(src).toMatch(/^\/api\/files\/\d+\/thumbnail/);
      }
    });
    // The sidebar names what was sent, for a message without text.
    await conversationItem(b(), 'Alice Martin').getByText('📷 2 photos').waitFor();
    await screenshot(b(), 'attachments-received');
    expect(await axe(b())).toEqual([]);
  });

  it('opens the viewer: arrows move between the pictures, Escape closes and focus comes back', async () => {
    const message = lastMessage(b());
    await message.getByRole('button', { name: 'View lake.png' }).click();
    const dialog = viewer(b());
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => (d as any).open)).toBe(true);
    const full = dialog.getByTestId('viewer-image');
    expect(await full.getAttribute('alt')).toBe('lake.png');
    await eventually(async () =>
      expect(await full.evaluate((i) => (i as any).naturalWidth)).toBe(960),
    );
    await b().getByRole('heading', { name: 'lake.png' }).waitFor();
    await screenshot(b(), 'attachments-viewer');
    expect(await axe(b())).toEqual([]);

    await b().keyboard.press('ArrowRight');
    await eventually(async () => expect(await full.getAttribute('alt')).toBe('dunes.png'));
    expect(await dialog.getByTestId('viewer-position').textContent()).toContain('2 of 2');
    await b().keyboard.press('ArrowLeft');
    await eventually(async () => expect(await full.getAttribute('alt')).toBe('lake.png'));
    await b().keyboard.press('ArrowLeft');
    await eventually(async () => expect(await full.getAttribute('alt')).toBe('dunes.png'));

    // Focus stays inside: Tab goes round the viewer's own controls.
    for (let i = 0; i < 6; i++) {
      await b().keyboard.press('Tab');
      expect(
        await b().evaluate(() => !!(globalThis as any).document.activeElement?.closest('dialog')),
      ).toBe(true);
    }

    // The download button saves the original.
    const [download] = await Promise.all([
      b().waitForEvent('download'),
      dialog.getByRole('link', { name: 'Download dunes.png' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('dunes.png');

    await b().keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Back on the thumbnail of the picture shown last.
    expect(
      await b().evaluate(() =>
        (globalThis as any).document.activeElement?.getAttribute('aria-label'),
      ),
    ).toBe('View dunes.png');
    expect(people.bob!.errors).toEqual([]);
  });

  it('sends a file that is not a picture as a card that downloads it', async () => {
    const notes = Buffer.from('Agenda\n1. Release notes\n2. Demo\n');
    await a().getByTestId('attach-input').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: notes,
    });
    await chip(a(), 'notes.txt').and(a().locator('[data-status="done"]')).waitFor();
    await sendButton(a()).click();

    const card = lastMessage(b()).getByRole('link', { name: /^Download notes\.txt/ });
    await card.waitFor();
    expect(await card.textContent()).toContain(`TXT · ${notes.length} B`);
    await conversationItem(b(), 'Alice Martin').getByText('📎 notes.txt').waitFor();
    const [download] = await Promise.all([b().waitForEvent('download'), card.click()]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    expect(await readFile(await download.path())).toEqual(notes);

    // With text, the text goes with the files in one message.
    await a().getByTestId('attach-input').setInputFiles({
      name: 'forest.jpg',
      mimeType: 'image/jpeg',
      buffer: forest,
    });
    await chip(a(), 'forest.jpg').and(a().locator('[data-status="done"]')).waitFor();
    await composer(a()).fill('The view from the top');
    await composer(a()).press('Enter');
    const withText = lastMessage(b());
    await withText.getByText('The view from the top').waitFor();
    await withText.getByRole('img', { name: 'forest.jpg' }).waitFor();
    // Sized from width and height before it loads: a square, as the picture is.
    const box = (await withText.getByRole('button', { name: 'View forest.jpg' }).boundingBox())!;
    expect(Math.round(box.width)).toBe(320);
    expect(Math.round(box.height)).toBe(320);
    await screenshot(b(), 'attachments-file-card');
    expect(await axe(b())).toEqual([]);
    // The same in the dark theme: cards and text keep their contrast.
    await b().emulateMedia({ colorScheme: 'dark' });
    await screenshot(b(), 'attachments-dark');
    expect(await axe(b())).toEqual([]);
    await b().emulateMedia({ colorScheme: 'light' });
  });

  it('cancels an upload on its way, takes back a stored one, and shows refusals per file', async () => {
    const alicePage = a();
    const cdp = await people.alice!.context.newCDPSession(alicePage);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 48 * 1024,
    });
    const failed: string[] = [];
    alicePage.on('requestfailed', (r) => failed.push(`${r.method()} ${new URL(r.url()).pathname}`));

    const slow = randomBytes(1536 * 1024);
    await attach(alicePage, [{ name: 'archive.zip', mimeType: 'application/zip', buffer: slow }]);
    const bar = alicePage.getByRole('progressbar', { name: 'Uploading archive.zip' });
    await bar.waitFor();
    await eventually(async () =>
      expect(Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(0),
    );
    expect(await sendButton(alicePage).isDisabled()).toBe(true);
    await screenshot(alicePage, 'attachments-uploading');
    await alicePage.getByRole('button', { name: 'Cancel upload of archive.zip' }).click();
    await chip(alicePage, 'archive.zip').waitFor({ state: 'detached' });
    await eventually(() => expect(failed).toContain('POST /api/uploads'));
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    expect(await unattached(auth.alice!.id)).toBe(0);

    // A stored file removed from the composer is taken back from the server.
    await attach(alicePage, [{ name: 'lake.png', mimeType: 'image/png', buffer: lake }]);
    await chip(alicePage, 'lake.png').and(alicePage.locator('[data-status="done"]')).waitFor();
    expect(await unattached(auth.alice!.id)).toBe(1);
    const [deleted] = await Promise.all([
      alicePage.waitForResponse(
        (r) => r.request().method() === 'DELETE' && /\/api\/uploads\/\d+$/.test(r.url()),
      ),
      alicePage.getByRole('button', { name: 'Remove lake.png' }).click(),
    ]);
    expect(deleted.status()).toBe(204);
    expect(await unattached(auth.alice!.id)).toBe(0);

    // Refusals, each on its own file with the server's words: over MAX_UPLOAD_MB, and a file
    // that claims to be a PNG but cannot be decoded.
    const broken = Buffer.concat([lake.subarray(0, 64), randomBytes(200)]);
    await attach(alicePage, [
      { name: 'too-big.bin', mimeType: 'application/octet-stream', buffer: randomBytes(2.5e6) },
      { name: 'broken.png', mimeType: 'image/png', buffer: broken },
      { name: 'dunes.png', mimeType: 'image/png', buffer: dunes },
    ]);
    const tooBig = chip(alicePage, 'too-big.bin');
    await tooBig.and(alicePage.locator('[data-status="failed"]')).waitFor();
    expect(await tooBig.getByRole('alert').textContent()).toBe(
      'Too large: The file is larger than 2 MB (MAX_UPLOAD_MB)',
    );
    const bad = chip(alicePage, 'broken.png');
    await bad.and(alicePage.locator('[data-status="failed"]')).waitFor();
    expect(await bad.getByRole('alert').textContent()).toMatch(/^Not supported: /);
    await chip(alicePage, 'dunes.png').and(alicePage.locator('[data-status="done"]')).waitFor();
    // A failed file holds the message back until it is removed.
    expect(await sendButton(alicePage).isDisabled()).toBe(true);
    await screenshot(alicePage, 'attachments-errors');
    expect(await axe(alicePage)).toEqual([]);
    await alicePage.getByRole('button', { name: 'Remove too-big.bin' }).click();
    await alicePage.getByRole('button', { name: 'Remove broken.png' }).click();
    expect(await sendButton(alicePage).isEnabled()).toBe(true);
    await alicePage.getByRole('button', { name: 'Remove dunes.png' }).click();
    await eventually(async () => expect(await unattached(auth.alice!.id)).toBe(0));
  });

  it('takes files dropped on the conversation, with a visible drop target', async () => {
    const alicePage = a();
    const data = await alicePage.evaluateHandle((b64) => {
      const g = globalThis as any;
      const raw = atob(b64);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      const dt = new g.DataTransfer();
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      return dt;
    }, dunes.toString('base64'));
    const target = alicePage.getByRole('region', { name: 'Bob Chen' });
    await target.dispatchEvent('dragenter', { dataTransfer: data });
    await target.dispatchEvent('dragover', { dataTransfer: data });
    await alicePage.getByTestId('drop-overlay').waitFor();
    await alicePage.getByText('Drop files to attach').waitFor();
    await screenshot(alicePage, 'attachments-drop');
    await target.dispatchEvent('drop', { dataTransfer: data });
    await alicePage.getByTestId('drop-overlay').waitFor({ state: 'detached' });
    await chip(alicePage, 'dropped.png').and(alicePage.locator('[data-status="done"]')).waitFor();
    await sendButton(alicePage).click();
    await lastMessage(b()).getByRole('img', { name: 'dropped.png' }).waitFor();
  });

  it('a deleted message shows no files', async () => {
    const history = await restAs<{ messages: Array<{ id: number; attachments: unknown[] }> }>(
      web.url,
      auth.alice!.token,
      'GET',
      `/api/conversations/${chatPath.split('/').pop()}/messages`,
    );
    const withFiles = history.messages.filter((m) => m.attachments.length > 0);
    const first = withFiles[0]!;
    await restAs(web.url, auth.alice!.token, 'DELETE', `/api/messages/${first.id}`);
    const row = b()
      .getByTestId('message')
      .filter({ has: b().getByTestId('message-deleted') });
    await row.first().waitFor();
    expect(await row.first().getByTestId('attachments').count()).toBe(0);
    expect(await b().getByRole('img', { name: 'lake.png' }).count()).toBe(0);
    expect(people.alice!.errors).toEqual([]);
    expect(people.bob!.errors).toEqual([]);
  });
});
