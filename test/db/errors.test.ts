/**
 * lib/db/errors.ts against the error shapes Prisma 7, its driver adapters and the drivers really throw
 * (recorded from test/reliability/database-outage.test.ts runs), and lib/http/responses.ts's mapping of them.
 */
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isForeignKeyError, isUniqueConstraintError } from '@/lib/db/errors';
import { errorResponse } from '@/lib/http/responses';

const adapterError = (cause: Record<string, unknown>) => ({ name: 'DriverAdapterError', cause });
const known = (code: string, cause?: Record<string, unknown>) =>
  Object.assign(new Error('Invalid `db.tenant.count()` invocation'), { name: 'PrismaClientKnownRequestError', code, meta: cause ? { driverAdapterError: adapterError(cause) } : {} });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a pooled connection reset (P1017)', known('P1017', { kind: 'ConnectionClosed' })],
    ['a refused connection (P1001)', known('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['a transaction that could not start in time (P2028)', known('P2028')],
    ['a raw query cut mid-flight (P2010, ConnectionClosed)', known('P2010', { kind: 'ConnectionClosed' })],
    ['statement_timeout (P2010, SQLSTATE 57014)', known('P2010', { kind: 'postgres', code: '57014', originalCode: '57014' })],
    ['a busy SQLite file (P1008)', known('P1008', { kind: 'SocketTimeout' })],
    ['pg’s client-side query timeout', new Error('Query read timeout')],
    ['pg-pool’s acquire timeout', new Error('timeout exceeded when trying to connect')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a socket error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a server shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['SQLITE_BUSY from better-sqlite3', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
  ])('%s', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation (P2002)', known('P2002', { kind: 'UniqueConstraintViolation' })],
    ['a record not found (P2025)', known('P2025')],
    ['a syntax error (P2010, SQLSTATE 42601)', known('P2010', { kind: 'postgres', code: '42601' })],
    ['a bug', new TypeError('x is not a function')],
    ['not an error', 'down'],
    ['nothing', undefined],
  ])('not %s', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('tells a unique violation by its Prisma code', () => {
    expect(isUniqueConstraintError(known('P2002'))).toBe(true);
    expect(isUniqueConstraintError(known('P1017'))).toBe(false);
  });

  // A raw statement's failure (lib/webhooks/deliveries.ts records a delivery with one), as both adapters report it.
  const rawUnique = {
    sqlite: known('P2010', { kind: 'UniqueConstraintViolation', originalCode: 'SQLITE_CONSTRAINT_PRIMARYKEY', constraint: { fields: ['siteId', 'webhookId'] } }),
    postgresql: known('P2010', { kind: 'UniqueConstraintViolation', originalCode: '23505', constraint: { index: 'WebhookDelivery_pkey' } }),
  };
  const rawForeignKey = {
    sqlite: known('P2010', { kind: 'ForeignKeyConstraintViolation', originalCode: 'SQLITE_CONSTRAINT_FOREIGNKEY', constraint: { foreignKey: {} } }),
    postgresql: known('P2010', { kind: 'ForeignKeyConstraintViolation', originalCode: '23503', constraint: { index: 'WebhookDelivery_siteId_fkey' } }),
  };

  it.each(['sqlite', 'postgresql'] as const)('tells a raw statement’s unique and foreign-key violations (P2010) by the adapter’s kind (%s)', (dialect) => {
    expect(isUniqueConstraintError(rawUnique[dialect])).toBe(true);
    expect(isForeignKeyError(rawUnique[dialect])).toBe(false);
    expect(isForeignKeyError(rawForeignKey[dialect])).toBe(true);
    expect(isUniqueConstraintError(rawForeignKey[dialect])).toBe(false);
    expect(isDatabaseUnavailable(rawUnique[dialect])).toBe(false);
  });

  it('does not take another raw failure, or the kind outside a P2010, for a unique violation', () => {
    expect(isUniqueConstraintError(known('P2010', { kind: 'postgres', code: '42601' }))).toBe(false);
    expect(isUniqueConstraintError(known('P2010'))).toBe(false);
    expect(isUniqueConstraintError(known('P2025', { kind: 'UniqueConstraintViolation' }))).toBe(false);
  });

  it('tells a foreign-key violation (a site joined away) apart from an outage and a unique violation', () => {
    // The real shapes on both databases are exercised in test/db/client.test.ts and test/sites/join.test.ts.
    const fk = known('P2003', { kind: 'ForeignKeyConstraintViolation', constraint: { index: 'Note_siteId_fkey' } });
    expect(isForeignKeyError(fk)).toBe(true);
    expect(isDatabaseUnavailable(fk)).toBe(false);
    expect(isForeignKeyError(known('P2002'))).toBe(false);
    expect(isForeignKeyError(known('P1017', { kind: 'ConnectionClosed' }))).toBe(false);
  });
});

describe('errorResponse for a write under a site that was joined away', () => {
  it('is a 503 SITE_MOVED with Retry-After', async () => {
    const response = errorResponse(known('P2003'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({ error: 'SITE_MOVED', message: 'This site was just joined with another. Try again.' });
  });
});

describe('errorResponse for an unavailable database', () => {
  it('is a 503 DATABASE_UNAVAILABLE with Retry-After and no detail of the failure', async () => {
    const response = errorResponse(known('P1001', { kind: 'DatabaseNotReachable', host: 'db.internal', port: 5432 }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(body).toEqual({ error: 'DATABASE_UNAVAILABLE', message: 'The database is unavailable. Try again shortly.' });
  });

  it('leaves a bug a 500', () => {
    expect(errorResponse(new TypeError('x is not a function')).status).toBe(500);
  });
});
