/**
 * A small in-process LRU cache with a time-to-live: at most `max` entries, each served for at most `ttlMs`
 * after it was stored (`Infinity` for values that never go stale, such as keys by id). A Map keeps insertion
 * order, so re-inserting on read makes the first key the least recently used one. Every bounded cache in the
 * app is one of these.
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

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.#now() + this.#ttlMs });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
