import { describe, expect, it } from 'vitest';
import { TokenService } from './tokens.js';

describe('TokenService access tokens', () => {
  const secret = new TextEncoder().encode('x'.repeat(48));

  it('remembers a verified token but still refuses it once expired', async () => {
    let now = Date.UTC(2026, 0, 1);
    const tokens = new TokenService(secret, () => now);
    const { token, expiresAt } = await tokens.signAccess({ userId: 7, sessionId: 9 });
    expect(await tokens.verifyAccess(token)).toEqual({ userId: 7, sessionId: 9 });
    now = expiresAt - 1000;
    expect(await tokens.verifyAccess(token)).toEqual({ userId: 7, sessionId: 9 }); // remembered
    now = expiresAt + 1000;
    await expect(tokens.verifyAccess(token)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(tokens.verifyAccess(token)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses a token altered after one was verified, and one signed with another key', async () => {
    const now = Date.now();
    const tokens = new TokenService(secret, () => now);
    const { token } = await tokens.signAccess({ userId: 7, sessionId: 9 });
    await tokens.verifyAccess(token);
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url')}.${s}`;
    await expect(tokens.verifyAccess(forged)).rejects.toMatchObject({ code: 'unauthorized' });
    const other = new TokenService(new TextEncoder().encode('y'.repeat(48)), () => now);
    const { token: foreign } = await other.signAccess({ userId: 7, sessionId: 9 });
    await expect(tokens.verifyAccess(foreign)).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
