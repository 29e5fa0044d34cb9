/**
 * The range of a lifecycle event's `iat` the app stores: `lastLifecycleIat` on Tenant and ForgeInstallation
 * (prisma/models.prisma) is a 32-bit integer, portable across SQLite and PostgreSQL: enough until 2038.
 * One rule for the Connect tenant store, the site store and the Forge event receiver.
 */

/** Largest `iat` a `lastLifecycleIat` column holds (2^31 − 1 seconds: 19 January 2038). */
export const MAX_LIFECYCLE_IAT = 2_147_483_647;

/**
 * True for a whole, non-negative number of seconds that fits the column.
 *
 * @example isStorableIat(1764547200) // true
 */
export function isStorableIat(iat: unknown): iat is number {
  return typeof iat === 'number' && Number.isInteger(iat) && iat >= 0 && iat <= MAX_LIFECYCLE_IAT;
}

/**
 * Throws a RangeError unless `iat` fits the column: the stores' guard, so a bad value is never written.
 *
 * @example checkIat(claims.iat);
 */
export function checkIat(iat: number): void {
  if (!isStorableIat(iat)) throw new RangeError('iat must be a whole number of seconds.');
}
