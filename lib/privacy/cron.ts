/**
 * Vercel Cron's authentication, as Vercel documents it: with a `CRON_SECRET` environment variable on the
 * project, Vercel sends `Authorization: Bearer <CRON_SECRET>` on every cron invocation, and the route
 * compares the two (https://vercel.com/docs/cron-jobs/manage-cron-jobs#securing-cron-jobs). The comparison
 * here is constant-time over SHA-256 digests, so neither the secret's content nor its length leaks through
 * timing. Without CRON_SECRET the route refuses everything: an unprotected job would let anyone trigger
 * product calls as the app.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../config';
import { ConnectError } from '../connect/errors';
import { envValue } from '../env.mjs';

/** Vercel recommends "a random string of at least 16 characters". */
export const MIN_CRON_SECRET_LENGTH = 16;

/**
 * CRON_SECRET, or undefined when unset. Throws ConfigError when set but shorter than 16 characters.
 *
 * @example const secret = parseCronSecret(process.env);
 */
export function parseCronSecret(env: Record<string, string | undefined> = process.env): string | undefined {
  const secret = envValue(env, 'CRON_SECRET');
  if (secret !== undefined && secret.length < MIN_CRON_SECRET_LENGTH) {
    throw new ConfigError('CRON_SECRET', `must be at least ${MIN_CRON_SECRET_LENGTH} characters (Vercel's advice): e.g. openssl rand -hex 32.`);
  }
  return secret;
}

/**
 * Throws unless the request carries `Authorization: Bearer <secret>`: NOT_FOUND when no secret is
 * configured (the job does not exist), TOKEN_MISSING (401) without the header, BAD_SIGNATURE (401) when it
 * does not match.
 *
 * @example assertCronRequest(request, parseCronSecret());
 */
export function assertCronRequest(request: Request, secret: string | undefined): void {
  if (!secret) throw new ConnectError('NOT_FOUND', 'No scheduled job is configured here (set CRON_SECRET).');
  const authorization = request.headers.get('authorization');
  if (!authorization) throw new ConnectError('TOKEN_MISSING', 'The cron request has no Authorization header.');
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  if (!timingSafeEqual(digest(authorization), digest(`Bearer ${secret}`))) {
    throw new ConnectError('BAD_SIGNATURE', 'The cron request is not authorized.');
  }
}
