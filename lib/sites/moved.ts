/**
 * "A site was joined into another": the signal that lets every per-process cache holding a siteId drop it
 * (lib/tenants/cache.ts; any installation→site cache). Raised on this instance after a join it committed
 * (./store.ts) and whenever a write here failed on a site that no longer exists (503 SITE_MOVED,
 * lib/http/responses.ts): that is how an instance learns of a join another instance made, so the caller's
 * retry resolves the joined site instead of failing again until the cache expires.
 *
 * Listeners live on globalThis: Next may bundle route handlers apart from one another, and each holds caches.
 */
const globalForMoved = globalThis as typeof globalThis & { __connectNextSiteMoved?: Set<() => void> };
const listeners = (globalForMoved.__connectNextSiteMoved ??= new Set());

/**
 * Calls `listener` after every site join seen by this process. Returns the function that removes it.
 *
 * @example onSiteMoved(() => cache.clear());
 */
export function onSiteMoved(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells every listener that some siteId it holds may be gone. */
export function siteMoved(): void {
  for (const listener of listeners) listener();
}
