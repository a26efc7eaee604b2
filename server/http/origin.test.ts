import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { crossSiteProblem, originAllowed } from './origin.js';

const allowed = ['https://chat.example.test', 'https://app.example.test'];

describe('originAllowed', () => {
  it('allows the listed origins and the server’s own host', () => {
    expect(originAllowed('https://chat.example.test', undefined, allowed)).toBe(true);
    expect(originAllowed('https://APP.example.test', undefined, allowed)).toBe(true);
    expect(originAllowed('https://app.example.test/', undefined, allowed)).toBe(true);
    expect(originAllowed('http://127.0.0.1:3000', '127.0.0.1:3000', [])).toBe(true);
    expect(originAllowed('http://LOCALHOST:3000', 'localhost:3000', [])).toBe(true);
  });

  it('refuses everything else', () => {
    for (const origin of [
      'null',
      'https://evil.example',
      'https://chat.example.test.evil.example',
      'https://evilchat.example.test',
      'https://chat.example.test:8443',
      'ws://chat.example.test',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not an origin',
      '',
    ]) {
      expect(originAllowed(origin, 'chat.example.test', allowed), origin).toBe(false);
    }
    // Same host, other scheme than http(s): not a page of ours.
    expect(originAllowed('ftp://127.0.0.1:3000', '127.0.0.1:3000', [])).toBe(false);
    // Without a Host header, only the list counts.
    expect(originAllowed('http://127.0.0.1:3000', undefined, [])).toBe(false);
  });
});

describe('crossSiteProblem', () => {
  const req = (method: string, headers: Record<string, string> = {}) =>
    ({ method, headers: { host: 'chat.example.test', ...headers } }) as unknown as FastifyRequest;

  it('lets safe methods through whatever their origin', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect(
        crossSiteProblem(
          req(method, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
          allowed,
        ),
      ).toBeNull();
    }
  });

  it('refuses cross-site state changes by Sec-Fetch-Site or Origin', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(crossSiteProblem(req(method, { 'sec-fetch-site': 'cross-site' }), allowed)).toMatch(
        /cross-site/i,
      );
      for (const origin of [
        'https://evil.example',
        'null',
        'https://chat.example.test.evil.example',
      ]) {
        expect(crossSiteProblem(req(method, { origin }), allowed), origin).toMatch(/origin/i);
      }
      expect(
        crossSiteProblem(
          req(method, { origin: 'https://chat.example.test', 'sec-fetch-site': 'cross-site' }),
          allowed,
        ),
      ).not.toBeNull();
    }
  });

  it('lets same-origin, allowed and non-browser requests through', () => {
    expect(crossSiteProblem(req('POST'), allowed)).toBeNull();
    expect(
      crossSiteProblem(
        req('POST', { origin: 'https://chat.example.test', 'sec-fetch-site': 'same-origin' }),
        allowed,
      ),
    ).toBeNull();
    expect(
      crossSiteProblem(
        req('PATCH', { origin: 'https://app.example.test', 'sec-fetch-site': 'same-site' }),
        allowed,
      ),
    ).toBeNull();
    expect(crossSiteProblem(req('DELETE', { 'sec-fetch-site': 'none' }), allowed)).toBeNull();
  });
});
