/**
 * The record of every exchange between the simulated product, the app and the browser: lifecycle
 * callbacks, iframe loads, tokens issued, webhooks, REST calls. Bounded, in memory, pushed to the log
 * pages over server-sent events.
 *
 * What may be recorded is decided here, once: a token appears as its header fields and claims (never its
 * signature, so nothing in the log can be replayed), URLs lose their `jwt` parameter, and a shared secret
 * is never passed in (callers describe payloads with `redactPayload`).
 */
import { describeToken } from './tokens.mjs';

/**
 * @typedef {'product→app' | 'app→product' | 'browser→product' | 'browser→app' | 'product'} Direction
 *
 * @typedef {object} LogInput
 * @property {string | null} [site]
 * @property {Direction} direction
 * @property {string} kind     lifecycle, webhook, page, token, rest, oauth, upm, install-key, descriptor, site, license
 * @property {string} [method]
 * @property {string} [url]
 * @property {number | null} [status]  null: no answer
 * @property {string} note     one line, for people
 * @property {string} [token]  described, not stored
 * @property {Record<string, unknown>} [details]  already free of secrets
 *
 * @typedef {Omit<LogInput, 'token'> & { id: number, time: string, token?: ReturnType<typeof describeToken> }} LogEntry
 */

export class ExchangeLog {
  /** @param {{ limit?: number, echo?: boolean }} [options] */
  constructor({ limit = 1000, echo = false } = {}) {
    this.limit = limit;
    this.echo = echo;
    /** @type {LogEntry[]} oldest first */
    this.entries = [];
    this.nextId = 1;
    /** @type {Set<(entry: LogEntry) => void>} */
    this.listeners = new Set();
  }

  /**
   * @param {LogInput} input
   * @returns {LogEntry}
   */
  add(input) {
    const { token, ...rest } = input;
    /** @type {LogEntry} */
    const entry = { id: this.nextId++, time: new Date().toISOString(), ...rest, url: rest.url ? redactUrl(rest.url) : undefined };
    if (token) entry.token = describeToken(token);
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    if (this.echo) console.log(formatLine(entry));
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /**
   * Newest first.
   * @param {{ site?: string, after?: number, limit?: number }} [filter]
   */
  list({ site, after = 0, limit = this.limit } = {}) {
    const out = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i];
      if (e.id <= after) break;
      if (!site || e.site === site) out.push(e);
    }
    return out;
  }

  /** @param {(entry: LogEntry) => void} listener @returns {() => void} unsubscribe */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * A URL with its `jwt` parameter's value replaced: the token is recorded separately, as claims.
 * @param {string} url
 */
export function redactUrl(url) {
  return url.replace(/([?&]jwt=)[^&#]*/g, '$1…');
}

/**
 * A lifecycle payload as the log may show it: the shared secret replaced by its length.
 * @param {Record<string, unknown>} payload
 */
export function redactPayload(payload) {
  const copy = { ...payload };
  if (typeof copy.sharedSecret === 'string') copy.sharedSecret = `(${copy.sharedSecret.length} characters, not shown)`;
  return copy;
}

/** @param {LogEntry} e */
function formatLine(e) {
  const status = e.status === undefined ? '' : e.status === null ? ' (no answer)' : ` ${e.status}`;
  const request = e.method ? ` ${e.method} ${e.url ?? ''}` : '';
  return `[host] ${e.direction}${e.site ? ` [${e.site}]` : ''}${request}${status} — ${e.note}`;
}
