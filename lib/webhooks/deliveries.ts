/**
 * Exactly-once effects for webhooks Jira may deliver more than once. Jira retries a delivery that got no
 * answer, or a 408, 409, 425, 429 or 5xx, for up to about 30 minutes, resending the same
 * `X-Atlassian-Webhook-Identifier` (https://developer.atlassian.com/cloud/jira/platform/webhooks/#retry-policy).
 *
 * The delivery is recorded (WebhookDelivery, unique per siteId + identifier) in the same transaction as
 * its effect (a batch of statements for a Connect webhook, an interactive transaction for a Forge event): if
 * the effect fails, the record rolls back with it and the retry is processed; if it committed, a redelivery
 * hits the unique key and is a no-op. A concurrent duplicate waits on the key (PostgreSQL) or on the write
 * lock (SQLite) and sees the outcome of the first.
 *
 * Forge product events (lib/forge/events.ts) go through the same log, keyed by the event's own identity
 * (`issue.id`, `changelog.id`), with the same effects (./registry.ts): one site's notes change once, whichever
 * door the event came through.
 *
 * The only code that touches the WebhookDelivery table.
 */
import { getDb, isUniqueConstraintError, type Db, type Statement, type Tx } from '../db/client';
import { DATABASE_TIMEOUTS } from '../db/database-url.mjs';
import type { Deadline } from '../deadline';
import { createNotesStore, type NotesDb, type NotesStore } from '../notes/store';

/**
 * How long a delivery is remembered. Jira stops retrying after about 30 minutes; a week is a wide margin
 * over that (and over changes to it) at a few dozen bytes per delivery. Older rows are deleted by
 * `npm run db:purge` (scripts/db/purge.mjs), from a scheduler, never on the request path.
 */
export const WEBHOOK_DELIVERY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface DeliveryKey {
  /** The site whose data the effect changes (lib/sites/). */
  siteId: string;
  /** `X-Atlassian-Webhook-Identifier`, or a Forge event's key. */
  webhookId: string;
  /** `webhookEvent`, kept for operators. */
  event: string;
}

/**
 * What a webhook effect may change: the notes of the delivery's site. It returns the statements to run
 * (unsent, built from `notes`), which the delivery runs in order in its transaction, after recording itself.
 */
export type WebhookEffect = (notes: NotesStore, siteId: string) => Statement[];

export interface WebhookDeliveries {
  /**
   * Runs `effect` and records the delivery in one transaction. Without a `webhookId` (webhooks that carry
   * none) the effect runs unrecorded. `'duplicate'` when this delivery was already processed. Without a
   * `deadline` (Connect webhooks) the transaction is one batch of statements, which nothing in this process
   * can hold open or stop once sent.
   *
   * With a `deadline` (Forge events, lib/forge/events.ts), the transaction is interactive: it gets only the
   * time left and is rolled back, never committed, once the time is up (DEADLINE_EXCEEDED): the caller
   * answers 503 and the sender's retry applies the effect then. A COMMIT sent just before the deadline whose
   * answer comes after it may still land; the retry then finds the recorded delivery and is a duplicate, so
   * no effect is applied twice.
   */
  processOnce(
    key: Omit<DeliveryKey, 'webhookId'> & { webhookId: string | undefined },
    effect: WebhookEffect,
    options?: { deadline?: Deadline },
  ): Promise<'processed' | 'duplicate'>;
  /** Deletes deliveries received before `olderThan`; returns how many. */
  purge(olderThan: Date): Promise<number>;
}

export interface WebhookDeliveriesOptions {
  /**
   * Builds the notes store an effect gets, over the client (a batch) or the transaction (interactive). Default
   * {@link createNotesStore}; tests wrap it to hold a Forge event's transaction open.
   */
  notesStore?: (tx: NotesDb) => NotesStore;
}

/** Thrown inside the transaction to roll it back when the delivery was already recorded. */
const DUPLICATE = new Error('duplicate webhook delivery');

/**
 * @example
 * const deliveries = createWebhookDeliveries(getDb());
 * await deliveries.processOnce({ siteId, webhookId, event }, (notes, site) => [notes.deleteForIssue(site, key)]);
 */
export function createWebhookDeliveries(db: Db, options: WebhookDeliveriesOptions = {}): WebhookDeliveries {
  const notesFor = options.notesStore ?? ((tx: NotesDb) => createNotesStore(tx));
  return {
    async processOnce({ siteId, webhookId, event }, effect, { deadline } = {}) {
      // Plain SQL, the same on both databases: Prisma's `create` reads the row back (RETURNING) and costs
      // several times the CPU (bench/webhook-tx.measure.ts). `receivedAt` is bound as a Date, so it is
      // stored as Prisma stores it (the retention purge compares it), not as SQLite's CURRENT_TIMESTAMP text.
      // First in either transaction, so a concurrent duplicate blocks on it (PostgreSQL: on the uncommitted
      // key; SQLite: on the write lock) instead of applying the effect twice, and then fails on the key.
      const record = (client: Db | Tx) =>
        client.$executeRaw`INSERT INTO "WebhookDelivery" ("siteId", "webhookId", "event", "receivedAt") VALUES (${siteId}, ${webhookId}, ${event}, ${new Date()})`;

      if (!deadline) {
        // Connect webhooks: one batch transaction (BEGIN, the INSERT, the effect's statements, COMMIT) with no
        // round trip to this process in between, about 70 µs of CPU less than the interactive one below
        // (docs/performance.md, section 3). Any failure rolls the whole batch back.
        const statements = webhookId === undefined ? effect(notesFor(db), siteId) : [record(db), ...effect(notesFor(db), siteId)];
        try {
          await db.$transaction(statements);
          return 'processed';
        } catch (err) {
          // The error does not say which statement failed (Prisma gives raw statements no batchRequestIdx): a
          // unique violation is this delivery's duplicate only if the delivery is recorded, by an earlier or a
          // concurrent copy. One inside the effect of a new delivery is an error. A read on this path only.
          if (webhookId !== undefined && isUniqueConstraintError(err) && (await db.webhookDelivery.count({ where: { siteId, webhookId } })) > 0) return 'duplicate';
          throw err;
        }
      }

      // Forge events: an interactive transaction, so the deadline is checked after the last statement and
      // before COMMIT. Prisma's bounds come from the time left: no waiting for a connection past the deadline,
      // and a timeout (counted from BEGIN, so only a backstop) that rolls the transaction back on Prisma's side.
      deadline.throwIfExpired();
      const left = Math.max(1, deadline.remainingMs());
      try {
        await db.$transaction(
          async (tx) => {
            const work = async () => {
              if (webhookId !== undefined) {
                try {
                  await record(tx);
                } catch (err) {
                  throw isUniqueConstraintError(err) ? DUPLICATE : err;
                }
              }
              for (const statement of effect(notesFor(tx), siteId)) await statement;
            };
            // The callback rejects at the deadline, and Prisma rolls back; it sends COMMIT only once the
            // callback has resolved, and the check below is the callback's last step.
            await deadline.race(work());
            deadline.throwIfExpired();
          },
          { maxWait: Math.min(DATABASE_TIMEOUTS.transactionWaitMs, left), timeout: left },
        );
        return 'processed';
      } catch (err) {
        if (err === DUPLICATE) return 'duplicate';
        throw err;
      }
    },

    async purge(olderThan) {
      return (await db.webhookDelivery.deleteMany({ where: { receivedAt: { lt: olderThan } } })).count;
    },
  };
}

let defaultDeliveries: WebhookDeliveries | undefined;

/** The app's delivery log over `getDb()`, created on first use. */
export function webhookDeliveries(): WebhookDeliveries {
  defaultDeliveries ??= createWebhookDeliveries(getDb());
  return defaultDeliveries;
}

/**
 * Deletes the app's deliveries older than `olderThan` (default: the retention, a week). For a scheduled job.
 *
 * @example const removed = await purgeWebhookDeliveries(); // npm run db:purge
 */
export function purgeWebhookDeliveries(olderThan: Date = new Date(Date.now() - WEBHOOK_DELIVERY_RETENTION_MS)): Promise<number> {
  return webhookDeliveries().purge(olderThan);
}
