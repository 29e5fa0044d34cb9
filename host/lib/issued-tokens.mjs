/**
 * Opaque bearer tokens the simulator hands out and later accepts: the OAuth access tokens of user
 * impersonation (oauth.mjs) and the x-forge-oauth-* tokens Forge sends remotes (forge-api.mjs). Random,
 * held in memory with what each stands for, refused once expired, forgotten on restart (like expiry, sooner).
 */
import { randomBytes } from 'node:crypto';

/** @template {object} G  what a token stands for */
export class IssuedTokens {
  /**
   * @param {{ lifetimeSeconds: number, max?: number, prefix?: string }} options
   *   `max`: tokens kept at most, the oldest forgotten first (default: no bound); `prefix`: before the random part
   */
  constructor({ lifetimeSeconds, max = Infinity, prefix = '' }) {
    this.lifetimeMs = lifetimeSeconds * 1000;
    this.max = max;
    this.prefix = prefix;
    /** @type {Map<string, G & { expiresAt: number }>} expiresAt in ms */
    this.grants = new Map();
  }

  /** @param {G} grant @returns {string} */
  issue(grant) {
    const now = Date.now();
    for (const [t, g] of this.grants) if (g.expiresAt <= now) this.grants.delete(t);
    while (this.grants.size >= this.max) this.grants.delete(this.grants.keys().next().value ?? '');
    const token = `${this.prefix}${randomBytes(32).toString('base64url')}`;
    this.grants.set(token, { ...grant, expiresAt: now + this.lifetimeMs });
    return token;
  }

  /** @param {string} token @returns {(G & { expiresAt: number }) | undefined} */
  lookup(token) {
    const grant = this.grants.get(token);
    return grant && grant.expiresAt > Date.now() ? grant : undefined;
  }
}
