import { describe, expect, it } from 'vitest';
import { LruCache } from '@/lib/cache';

function clocked(max = 3, ttlMs = 1000) {
  let now = 1_000_000;
  const cache = new LruCache<{ v: string }>({ max, ttlMs, now: () => now });
  return { cache, tick: (ms: number) => (now += ms), now: () => now };
}

describe('LruCache', () => {
  it('refuses a size below 1 or a negative ttl', () => {
    expect(() => new LruCache({ max: 0, ttlMs: 1 })).toThrow(RangeError);
    expect(() => new LruCache({ max: 1, ttlMs: -1 })).toThrow(RangeError);
  });

  it('serves an entry for ttlMs after it was stored, then drops it', () => {
    const { cache, tick } = clocked();
    const a = { v: 'a' };
    cache.set('a', a);
    tick(999);
    expect(cache.get('a')).toBe(a);
    tick(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond max; a read counts as a use', () => {
    const { cache } = clocked(2);
    cache.set('a', { v: 'a' });
    cache.set('b', { v: 'b' });
    cache.get('a');
    cache.set('c', { v: 'c' });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.v).toBe('a');
    expect(cache.get('c')?.v).toBe('c');
  });

  it('peek neither counts as a use nor drops an expired entry', () => {
    const { cache, tick } = clocked(2);
    cache.set('a', { v: 'a' });
    cache.set('b', { v: 'b' });
    expect(cache.peek('a')?.v).toBe('a');
    cache.set('c', { v: 'c' });
    expect(cache.peek('a')).toBeUndefined(); // 'a' stayed least recently used
    tick(5000);
    expect(cache.peek('b')?.v).toBe('b');
    expect(cache.size).toBe(2);
  });

  describe('per-entry expiry', () => {
    it('set with expiresAt overrides the ttl, both ways', () => {
      const { cache, tick, now } = clocked(3, 1000);
      cache.set('short', { v: 's' }, now() + 10);
      cache.set('long', { v: 'l' }, now() + 60_000);
      tick(10);
      expect(cache.get('short')).toBeUndefined();
      tick(30_000);
      expect(cache.get('long')?.v).toBe('l');
    });

    it('get judges expiry by the time it is given', () => {
      const { cache, now } = clocked();
      cache.set('a', { v: 'a' }, now() + 100);
      expect(cache.get('a', now() + 99)?.v).toBe('a');
      expect(cache.get('a', now() + 100)).toBeUndefined();
    });

    it('setExpiry changes only the entry that is still the same value, and keeps its place', () => {
      const { cache, tick, now } = clocked(2, Infinity);
      const first = { v: 'first' };
      cache.set('k', first);
      cache.set('other', { v: 'o' });
      cache.setExpiry('k', first, now() + 50);
      cache.set('third', { v: 't' }); // 'k' was least recently used: setExpiry did not move it
      expect(cache.peek('k')).toBeUndefined();

      const newer = { v: 'newer' };
      cache.set('k', newer);
      cache.setExpiry('k', first, now() + 1); // a late update for the old value
      tick(10);
      expect(cache.get('k')).toBe(newer);
    });
  });

  describe('identity-checked delete', () => {
    it('without a value, removes whatever is stored', () => {
      const { cache } = clocked();
      cache.set('k', { v: 'a' });
      cache.delete('k');
      expect(cache.size).toBe(0);
    });

    it('with a value, removes the entry only while it is that very object', () => {
      const { cache } = clocked();
      const old = { v: 'same' };
      const newer = { v: 'same' };
      cache.set('k', old);
      cache.set('k', newer);
      cache.delete('k', old);
      expect(cache.get('k')).toBe(newer);
      cache.delete('k', { v: 'same' }); // equal, not identical
      expect(cache.get('k')).toBe(newer);
      cache.delete('k', newer);
      expect(cache.get('k')).toBeUndefined();
    });
  });
});
