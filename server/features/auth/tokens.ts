import { createHmac, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, decodeProtectedHeader } from 'jose';
import { LIMITS } from '../../../protocol/limits.js';
import { AppError } from '../../errors.js';

const ISSUER = 'parley';
const AUDIENCE = 'parley';
const ACCESS_TTL_MS = LIMITS.accessTokenMinutes * 60_000;
/** Verified access tokens remembered (the oldest forgotten first). */
const VERIFIED_CACHE_SIZE = 50_000;

export interface AccessClaims {
  userId: number;
  sessionId: number;
}

/** Signs and checks access tokens (JWT HS256) and refresh tokens (HMAC over session and generation). */
export class TokenService {
  /** The HMAC key, imported once: jose would import a raw secret again on every call. */
  private readonly key: Promise<webcrypto.CryptoKey>;

  constructor(
    private readonly secret: Uint8Array,
    private readonly now: () => number,
  ) {
    this.key = webcrypto.subtle.importKey(
      'raw',
      new Uint8Array(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
  }

  async signAccess(claims: AccessClaims): Promise<{ token: string; expiresAt: number }> {
    const iat = this.now();
    const expiresAt = iat + ACCESS_TTL_MS;
    const token = await new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(claims.userId))
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(iat / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(await this.key);
    return { token, expiresAt };
  }

  /**
   * Tokens already verified, with their expiry: a client sends the same token on every call for
   * 15 minutes, and checking its signature again would cost a trip through the crypto thread
   * pool each time (the session behind it is still loaded on every call).
   */
  private readonly verified = new Map<string, AccessClaims & { expMs: number }>();

  /** Verifies an access token; any defect answers `unauthorized`. */
  async verifyAccess(token: string): Promise<AccessClaims> {
    const bad = () => new AppError('unauthorized', 'A valid access token is required');
    const known = this.verified.get(token);
    if (known) {
      if (known.expMs > this.now()) return { userId: known.userId, sessionId: known.sessionId };
      this.verified.delete(token);
      throw bad();
    }
    const claims = await this.verifySignature(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, claims);
    return { userId: claims.userId, sessionId: claims.sessionId };
  }

  private async verifySignature(token: string): Promise<AccessClaims & { expMs: number }> {
    const bad = () => new AppError('unauthorized', 'A valid access token is required');
    if (token.length > 4096) throw bad();
    try {
      const header = decodeProtectedHeader(token);
      // Only the header we issue is accepted: no key hints an attacker could steer.
      const keys = Object.keys(header).sort().join(',');
      if (
        header.alg !== 'HS256' ||
        (keys !== 'alg,typ' && keys !== 'alg') ||
        (header.typ && header.typ !== 'JWT')
      ) {
        throw bad();
      }
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.now()),
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      const userId = Number(payload.sub);
      const sessionId = payload.sid;
      if (!Number.isSafeInteger(userId) || userId <= 0) throw bad();
      if (typeof sessionId !== 'number' || !Number.isSafeInteger(sessionId) || sessionId <= 0)
        throw bad();
      return { userId, sessionId, expMs: (payload.exp ?? 0) * 1000 };
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw bad();
    }
  }

  /** A fresh per-session salt for refresh tokens. */
  newRefreshSalt(): string {
    return randomBytes(24).toString('base64url');
  }

  /** The refresh token of one generation of a session: `<sid>.<gen>.<mac>`. */
  refreshToken(sessionId: number, gen: number, salt: string): string {
    return `${sessionId}.${gen}.${this.refreshMac(sessionId, gen, salt)}`;
  }

  /** Splits a refresh token; null when it is not of our form. */
  parseRefresh(token: string): { sessionId: number; gen: number; mac: string } | null {
    const m = /^(\d{1,15})\.(\d{1,9})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    return { sessionId: Number(m[1]), gen: Number(m[2]), mac: m[3]! };
  }

  /** True when `mac` is what we issued for this session, generation and salt. */
  refreshMacValid(sessionId: number, gen: number, salt: string, mac: string): boolean {
    const expected = Buffer.from(this.refreshMac(sessionId, gen, salt));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private refreshMac(sessionId: number, gen: number, salt: string): string {
    return createHmac('sha256', this.secret)
      .update(`refresh:${sessionId}:${gen}:${salt}`)
      .digest('base64url');
  }
}
