import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { EventBus } from '../events.js';
import { frameworkError, installErrorHandling } from './errors.js';

const app = Fastify({ frameworkErrors: frameworkError });

beforeAll(async () => {
  installErrorHandling(app, new EventBus());
  app.get('/boom', async () => {
    throw new Error('select * from secrets where 1');
  });
  app.get('/gone', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
  });
  app.get('/nul', async () => {
    throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
    });
  });
  app.get('/teapot', async () => {
    throw new AppError('conflict', 'Taken', { field: 'username' });
  });
  app.get('/items/:id', async () => 'ok');
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

describe('error handling', () => {
  it('answers unexpected errors with a bare internal error', async () => {
    const res = await app.inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: { code: 'internal', message: 'Something went wrong on our side' },
    });
    expect(res.body).not.toContain('secrets');
  });

  it('maps outages to 503 with Retry-After', async () => {
    const res = await app.inject('/gone');
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('unavailable');
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).not.toContain('5432');
  });

  it('maps text the database cannot store to validation_failed', async () => {
    const res = await app.inject('/nul');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  it('passes AppErrors through with their details', async () => {
    const res = await app.inject('/teapot');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: { code: 'conflict', message: 'Taken', details: { field: 'username' } },
    });
  });

  it('answers undecodable URLs and over-long parameters in the error shape', async () => {
    for (const url of ['/items/%E0%A4%A', '/items/%zz', `/items/${'9'.repeat(200)}`]) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toBe('validation_failed');
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });
});
