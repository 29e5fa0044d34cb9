/**
 * A per-request deadline: the moment by which a route must have decided its answer, for callers whose
 * clock is shorter than the app's own bounds (Forge gives an event 5 s, while a silent database may hold
 * a query for 5 s and a transaction for 10: lib/db/database-url.mjs). When the time is up the request
 * answers 503 DEADLINE_EXCEEDED with Retry-After (lib/http/responses.ts), so the caller retries instead of
 * timing out, and work still running is told to stop through `signal`: a transaction checks it before it
 * commits (lib/webhooks/deliveries.ts), so nothing is committed after the caller was told it failed.
 *
 * Expiry (the signal) is driven by one timer, never by reading the clock, so a test moves it with fake timers.
 */
import { ConnectError } from './connect/errors';
import { log } from './log';

export interface Deadline {
  /** Aborted when the time is up; its `reason` is the DEADLINE_EXCEEDED error. */
  readonly signal: AbortSignal;
  /** Milliseconds left (0 once the time is up): the budget for a bound set from it, such as a transaction timeout. */
  remainingMs(): number;
  /** Throws DEADLINE_EXCEEDED once the time is up. */
  throwIfExpired(): void;
  /**
   * `work`'s outcome, or DEADLINE_EXCEEDED if the time is up first. `work` is not cancelled by this (what
   * can stop listens to `signal`); its late outcome is ignored.
   */
  race<T>(work: Promise<T>): Promise<T>;
}

function deadlineExceeded(): ConnectError {
  return new ConnectError('DEADLINE_EXCEEDED', 'The app could not answer in time. Try again shortly.');
}

/**
 * Runs `work` with a deadline `ms` from now and settles by then: with `work`'s outcome, or with
 * DEADLINE_EXCEEDED. The timer is cleared when `work` settles first.
 *
 * @example return handle(() => withDeadline(3_500, async (deadline) => { await receive(request, { deadline }); return new Response(null, { status: 204 }); }));
 */
export async function withDeadline<T>(ms: number, work: (deadline: Deadline) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const startedAt = Date.now();
  const timer = setTimeout(() => {
    // The one line an operator sees for a missed deadline: what was slow shows in the lines around it.
    log.warn('deadline_exceeded', { ms });
    controller.abort(deadlineExceeded());
  }, ms);
  const { signal } = controller;
  const deadline: Deadline = {
    signal,
    remainingMs: () => (signal.aborted ? 0 : Math.max(0, startedAt + ms - Date.now())),
    throwIfExpired: () => signal.throwIfAborted(),
    race<R>(promise: Promise<R>): Promise<R> {
      if (signal.aborted) {
        promise.catch(() => undefined);
        return Promise.reject(signal.reason);
      }
      return new Promise<R>((resolve, reject) => {
        const expire = () => reject(signal.reason);
        signal.addEventListener('abort', expire, { once: true });
        promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', expire));
      });
    },
  };
  try {
    return await deadline.race(Promise.resolve().then(() => work(deadline)));
  } finally {
    clearTimeout(timer);
  }
}
