// v1.1 "Finding messages": GET /api/search on every database gives what the contract's word
// rule gives (protocol/search.ts is the model here): the same corpus, the same result ids and
// highlights on SQLite, PostgreSQL and MariaDB; only messages of conversations the caller is a
// member of now; edits found by their new words only; deletions never; FTS syntax is just text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchHighlights, queryWords } from '../../protocol/search.js';
import { registerUser, type TestUser } from '../helpers/api.js';
import { Chat, expectError, expectMessage } from '../helpers/chat.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { indexStatement } from '../../server/features/search/search.queries.js';

let t: TestServer;
let chat: Chat;
let me: TestUser;
let other: TestUser;
/** Every text message of the corpus, with where it lives. */
const corpus: Array<{ id: number; body: string; conversation: string; senderId: number }> = [];
let convs: Record<string, number> = {};
/** The conversations `me` belongs to now. */
const mine = new Set<string>();

const BODIES = [
  'Le café est prêt, venez vite',
  'CAFE au lait for everyone',
  'cafeteria is closed today',
  'Ein naïve Plan: Straße gesperrt',
  'naive questions welcome',
  'Meeting notes: foo_bar and foo-bar are different words',
  'foo then bar',
  'ok ok OK',
  'a b c',
  'version 2.0.1 shipped on 2026-12-01',
  '日本語のテキスト と 日本',
  'Привет мир, привет всем',
  'Ελληνικά γράμματα και ελληνικά',
  'مرحبا بالعالم',
  'emoji 😀 inside text 😀done',
  'quote " and apostrophe \' and star * and NEAR(x y) OR (z)',
  '100% sure about 50_50 and the_end',
  'prefix preface prefect perfect',
  'Über uber ÜBER',
  'x',
];

async function search(u: TestUser, query: Record<string, string | number>) {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)] as [string, string]),
  );
  return t.api.get(`/api/search?${qs.toString()}`, { token: u.token });
}

/** What the contract's rule says `me` finds for `q`, newest first. */
function model(q: string, filter: { conversation?: string; senderId?: number } = {}) {
  const words = queryWords(q);
  return corpus
    .filter((m) => mine.has(m.conversation))
    .filter((m) => filter.conversation === undefined || m.conversation === filter.conversation)
    .filter((m) => filter.senderId === undefined || m.senderId === filter.senderId)
    .flatMap((m) => {
      const highlights = matchHighlights(m.body, words);
      return highlights ? [{ id: m.id, highlights }] : [];
    })
    .sort((a, b) => b.id - a.id);
}

beforeAll(async () => {
  t = await startTestServer({
    MESSAGES_PER_SECOND: '10000',
    RATE_LIMIT_SEARCHES_PER_MINUTE: '100000',
  });
  chat = new Chat(t.api);
  [me, other] = await Promise.all([registerUser(t.api), registerUser(t.api)]);
  const third = await registerUser(t.api);
  convs = {
    direct: (await chat.direct(me, other)).id,
    group: (await chat.group(other, { name: 'team', memberIds: [me.id] })).id,
    left: (await chat.group(other, { name: 'left later', memberIds: [me.id] })).id,
    removed: (await chat.group(other, { name: 'removed later', memberIds: [me.id] })).id,
    never: (await chat.group(other, { name: 'private, never', memberIds: [third.id] })).id,
    publicNever: (await chat.group(other, { name: 'public, never', isPrivate: false })).id,
  };
  const names = Object.keys(convs);
  for (const [i, body] of BODIES.entries()) {
    // Every body lands in every conversation, from one of the two senders in turn.
    for (const [j, name] of names.entries()) {
      const sender = (i + j) % 2 === 0 || name === 'never' || name === 'publicNever' ? other : me;
      const m = await chat.send(sender, convs[name]!, body);
      corpus.push({ id: m.id, body, conversation: name, senderId: sender.id });
    }
  }
  await chat.leave(me, convs.left!);
  await chat.remove(other, convs.removed!, me.id);
  for (const name of ['direct', 'group']) mine.add(name);
});

afterAll(async () => {
  await t?.close();
});

const QUERIES = [
  'cafe',
  'Café',
  'CAF',
  'caf prêt',
  'naive',
  'NAÏVE plan',
  'strasse',
  'straße',
  'foo_bar',
  'foo bar',
  'foo',
  'ok',
  'o',
  'a b',
  '2 0',
  '2026',
  '日本',
  '日本語のテキスト',
  'привет',
  'ΕΛΛΗΝΙΚΆ',
  'مرحبا',
  'emoji done',
  'near x',
  'the_end',
  '50',
  'pre',
  'prefix pre',
  'perfect prefix',
  'uber',
  'x',
  'nothing-matches-this',
];

describe('search', () => {
  it('finds exactly what the word rule finds, with the same highlights, newest first', async () => {
    for (const q of QUERIES) {
      const res = await search(me, { q, limit: 50 });
      expect(res.status, q).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['nextBefore', 'results']);
      const got = res.body.results.map((r: any) => ({
        id: r.message.id,
        highlights: r.highlights,
      }));
      expect(got, q).toEqual(model(q).slice(0, 50));
      for (const r of res.body.results) expectMessage(r.message);
    }
  });

  it('never finds messages of conversations left, removed from, or never joined', async () => {
    const forbidden = new Set(corpus.filter((m) => !mine.has(m.conversation)).map((m) => m.id));
    for (const q of ['cafe', 'ok', 'foo', 'x', 'prefix', 'привет']) {
      const res = await search(me, { q, limit: 50 });
      for (const r of res.body.results) expect(forbidden.has(r.message.id), q).toBe(false);
    }
    for (const name of ['left', 'removed', 'never', 'publicNever']) {
      expectError(await search(me, { q: 'cafe', conversationId: convs[name]! }), 404, 'not_found');
    }
    expectError(await search(me, { q: 'cafe', conversationId: 999_999_999 }), 404, 'not_found');
  });

  it('filters by conversation and sender, and pages by before with nextBefore', async () => {
    const inGroup = await search(me, { q: 'cafe', conversationId: convs.group! });
    expect(inGroup.body.results.map((r: any) => r.message.id)).toEqual(
      model('cafe', { conversation: 'group' }).map((m) => m.id),
    );
    const byOther = await search(me, { q: 'ok', senderId: other.id });
    expect(byOther.body.results.map((r: any) => r.message.id)).toEqual(
      model('ok', { senderId: other.id }).map((m) => m.id),
    );
    const all = model('prefix pre').map((m) => m.id);
    expect(all.length).toBeGreaterThan(1);
    const seen: number[] = [];
    let before: number | null = null;
    for (;;) {
      const page: any = await search(me, {
        q: 'prefix pre',
        limit: 1,
        ...(before ? { before } : {}),
      });
      seen.push(...page.body.results.map((r: any) => r.message.id));
      before = page.body.nextBefore;
      if (before === null) break;
      expect(before).toBe(seen[seen.length - 1]);
    }
    expect(seen).toEqual(all);
  });

  it('finds an edited message by its new words only, and a deleted one never', async () => {
    const m = await chat.send(me, convs.direct!, 'zebra crossing ahead');
    const find = async (q: string) =>
      (await search(me, { q })).body.results.map((r: any) => r.message.id);
    expect(await find('zebra')).toContain(m.id);
    await t.api.patch(
      `/api/messages/${m.id}`,
      { body: 'giraffe crossing ahead' },
      { token: me.token },
    );
    expect(await find('zebra')).not.toContain(m.id);
    expect(await find('giraffe')).toContain(m.id);
    await t.api.delete(`/api/messages/${m.id}`, { token: me.token });
    expect(await find('giraffe')).not.toContain(m.id);
    expect(await find('crossing')).not.toContain(m.id);
  });

  it('treats query syntax and injection as plain text: results or an empty list, never a 500', async () => {
    const nasty = [
      "' OR 1=1 --",
      '"',
      '"cafe',
      'cafe*',
      '-cafe',
      'NEAR(x y)',
      'x OR y',
      '(z)',
      'a AND b',
      'cafe:*',
      "cafe' & 'x",
      '%',
      '_',
      '%cafe%',
      '\\',
      '{"$ne":null}',
      'ok) UNION SELECT 1 --',
    ];
    for (const q of nasty) {
      const res = await search(me, { q });
      if (queryWords(q).length === 0) {
        expectError(res, 400, 'validation_failed');
        continue;
      }
      expect(res.status, q).toBe(200);
      expect(
        res.body.results.map((r: any) => r.message.id),
        q,
      ).toEqual(
        model(q)
          .slice(0, 20)
          .map((m) => m.id),
      );
    }
  });

  it('refuses a query without a word, or too long, and bad parameters', async () => {
    for (const query of [
      {},
      { q: '' },
      { q: '!!!' },
      { q: 'x'.repeat(65) },
      { q: 'cafe', limit: 0 },
      { q: 'cafe', limit: 51 },
      { q: 'cafe', before: 'x' },
      { q: 'cafe', conversationId: '-1' },
    ]) {
      expectError(await search(me, query as Record<string, string>), 400, 'validation_failed');
    }
    expectError(await t.api.get('/api/search?q=cafe'), 401, 'unauthorized');
  });
  it('indexes a word of thousands of characters by its beginning, and still finds it exactly', async () => {
    const ids = async (q: string) =>
      (await search(me, { q })).body.results.map((r: any) => r.message.id as number);
    const long = await chat.send(me, convs.direct!, `${'w'.repeat(7000)} tail`);
    const other = await chat.send(me, convs.direct!, `${'w'.repeat(250)}v tail`);
    expect(await ids('wwwwww')).toEqual([other.id, long.id]);
    expect(await ids(`tail ${'w'.repeat(58)}`)).toEqual([other.id, long.id]);
    // A 58-letter word is neither of them whole, though both begin with it.
    expect(await ids(`${'w'.repeat(58)} tail`)).toEqual([]);
  });

  it('widens a last word to every word it begins, and finds matches far behind the newest', async () => {
    const ids = async (q: string) =>
      (await search(me, { q })).body.results.map((r: any) => r.message.id as number);
    // 70 indexed words beginning with "zq": more than a last word is widened to one by one.
    const wide = await chat.send(
      me,
      convs.direct!,
      Array.from({ length: 70 }, (_, i) => `zq${String(i).padStart(2, '0')}`).join(' '),
    );
    expect(await ids('zq')).toEqual([wide.id]);
    expect(await ids('zq6')).toEqual([wide.id]);
    expect(await ids('ZQ05')).toEqual([wide.id]);
    expect(await ids('zq05 zq6')).toEqual([wide.id]);
    expect(await ids('zq7')).toEqual([]);

    // A rare word behind 2,500 newer indexed messages (more than are checked one by one before
    // the index is asked), one of which also holds the query's other word.
    const rare = await chat.send(me, convs.group!, 'quokka sighting near the river');
    const bulk = await chat.group(other, { name: 'bulk', memberIds: [me.id] });
    const bodies = Array.from({ length: 2500 }, (_, i) =>
      i === 2400 ? 'another sighting, no marsupial' : `filler message ${i}`,
    );
    const newer = await t.deps.db.transaction().execute(async (trx) => {
      for (const [i, body] of bodies.entries()) {
        await trx
          .insertInto('messages')
          .values({
            conversation_id: bulk.id,
            seq: 1000 + i,
            version: 1000 + i,
            sender_id: other.id,
            client_id: null,
            kind: 'text',
            body,
            meta: null,
            created_at: Date.now(),
            edited_at: null,
            deleted_at: null,
            reply_to_id: null,
            pinned_by: null,
            pinned_at: null,
          })
          .execute();
      }
      const rows = await trx
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', bulk.id)
        .where('seq', '>=', 1000)
        .orderBy('seq')
        .execute();
      for (const [i, { id }] of rows.entries()) {
        await indexStatement(trx, t.deps.dbKind, id, bodies[i]!)?.execute();
      }
      return rows.map((r) => r.id);
    });
    expect(await ids('quokka')).toEqual([rare.id]);
    expect(await ids('quok')).toEqual([rare.id]);
    expect(await ids('sighting')).toEqual([newer[2400], rare.id]);
    // Paged one by one across the two steps.
    const first = await search(me, { q: 'sighting', limit: 1 });
    expect(first.body.results.map((r: any) => r.message.id)).toEqual([newer[2400]]);
    const second = await search(me, { q: 'sighting', limit: 1, before: first.body.nextBefore });
    expect(second.body.results.map((r: any) => r.message.id)).toEqual([rare.id]);
    expect(second.body.nextBefore).toBeNull();
  });
});
