/**
 * A small in-process LRU cache with a time-to-live: at most `max` entries, each served for at most `ttlMs`
 * after it was stored (`Infinity` for values that never go stale, such as keys by id) or until the expiry
 * given for that entry (a token's own lifetime). A Map keeps insertion
 * order, so re-inserting on read makes the first key the least recently used one. Every bounded cache in the
 * app is one of these.
 *
 * @example const names = new LruCache<string>({ max: 500, ttlMs: 60_000 }); names.set(accountId, displayName);
 */
export interface LruOptions {
  /** Most entries kept; the least recently used one is dropped beyond that. */
  max: number;
  /** How long an entry is served after it was stored, in milliseconds. */
  ttlMs: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

export class LruCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor({ max, ttlMs, now = Date.now }: LruOptions) {
    if (!(max >= 1) || !(ttlMs >= 0)) throw new RangeError('LruCache needs max >= 1 and ttlMs >= 0.');
    this.#max = max;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /**
   * The value under `key`, or undefined when there is none or it has expired (then it is dropped). A hit
   * becomes the most recently used entry. `now` is the time to judge expiry by; default the cache's clock.
   */
  get(key: string, now: number = this.#now()): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** The value under `key`, expired or not, without making it the most recently used. */
  peek(key: string): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /**
   * Stores `value` as the most recently used entry, dropping the least recently used one beyond `max`.
   * It expires `ttlMs` from now, or at `expiresAt` (epoch ms by the cache's clock) when given.
   */
  set(key: string, value: V, expiresAt: number = this.#now() + this.#ttlMs): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: expiresAt });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /**
   * Moves the expiry of the entry under `key` to `expiresAt`, only while that entry is still `value` (the
   * same object): a value whose lifetime is known only later (a token still being fetched) never changes
   * the one stored after it. Its place in the order is kept.
   */
  setExpiry(key: string, value: V, expiresAt: number): void {
    const entry = this.#entries.get(key);
    if (entry && entry.value === value) entry.expires = expiresAt;
  }

  /**
   * Removes the entry under `key`. With `expected`, only while the entry is still that very value: a late
   * failure of an old value must not evict the newer one another caller stored since.
   */
  delete(key: string, expected?: V): void {
    if (expected === undefined || this.#entries.get(key)?.value === expected) this.#entries.delete(key);
  }

  /** Removes every entry whose key satisfies `predicate` (an erasure that must reach all copies). Returns how many. */
  deleteWhere(predicate: (key: string) => boolean): number {
    let removed = 0;
    for (const key of [...this.#entries.keys()]) {
      if (predicate(key)) {
        this.#entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
