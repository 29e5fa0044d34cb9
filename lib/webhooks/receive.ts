/**
 * `POST /api/webhooks/<name>`: a webhook from the product, verified like any product request (HS256 JWT
 * with a `qsh` bound to this URL: strict mode), then applied once (./deliveries.ts).
 *
 *   204  processed, or a redelivery already processed, or nothing to do
 *   400  body not a JSON object, `webhookEvent` not this route's event, or a payload the handler cannot use
 *   401/403  token missing or invalid, tenant unknown, uninstalled or disabled
 *   404  no webhook of that name;  413 body over 1 MiB;  415 body not application/json
 *   503  the database is unavailable (DATABASE_UNAVAILABLE, with Retry-After): nothing was recorded, and Jira
 *        retries (it retries 5xx, 408, 409, 425 and 429 only)
 *   500  processing failed otherwise (a bug): nothing was recorded, and Jira retries
 *
 * The work is one short transaction, well inside Jira's timeout; anything slow (product calls) belongs in a
 * queue, not here.
 */
import { getConfig } from '../config';
import { ConnectError } from '../connect/errors';
import { authenticate, type AuthenticateDeps } from '../http/authenticate';
import { readJsonBody } from '../http/body';
import { log } from '../log';
import { tenantStore } from '../tenants/store';
import { webhookDeliveries, type WebhookDeliveries } from './deliveries';
import { webhookNamed } from './registry';

/** Jira issue payloads carry the whole issue (description, comments…); a megabyte is generous and bounded. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** Longest `X-Atlassian-Webhook-Identifier` accepted (they are short ids; the column is unbounded text). */
const MAX_WEBHOOK_ID_LENGTH = 255;

export interface WebhookDeps extends AuthenticateDeps {
  deliveries: WebhookDeliveries;
}

/** The app's dependencies: configuration, tenant store, delivery log. */
export function webhookDeps(): WebhookDeps {
  return { store: tenantStore(), deliveries: webhookDeliveries(), appBaseUrl: getConfig().appUrl };
}

/**
 * Verifies and applies one webhook delivery; resolves when it may be acknowledged with 204.
 *
 * @example await receiveWebhook('issue-deleted', request, webhookDeps());
 */
export async function receiveWebhook(name: string, request: Request, deps: WebhookDeps): Promise<'processed' | 'duplicate' | 'ignored'> {
  const webhook = webhookNamed(name);
  if (!webhook) throw new ConnectError('NOT_FOUND', 'No such webhook.');
  const { tenant } = await authenticate(request, 'strict', deps);
  const webhookId = webhookIdOf(request);
  const body = await readJsonBody(request, WEBHOOK_BODY_LIMIT);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConnectError('BAD_REQUEST', 'The webhook body must be a JSON object.');
  const event = (body as { webhookEvent?: unknown }).webhookEvent;
  // The route is the declared subscription; a body for another event is a misrouted (or replayed) request.
  if (event !== webhook.event) throw new ConnectError('BAD_REQUEST', `This URL accepts ${webhook.event} webhooks only.`);

  const effect = webhook.plan(body as Record<string, unknown>);
  const fields = { clientKey: tenant.clientKey, event, webhookId: webhookId ?? null, retry: retryOf(request) };
  if (!effect) {
    log.info('webhook_ignored', fields);
    return 'ignored';
  }
  // Webhooks without an identifier (older deliveries, some admin tools) cannot be recognised when
  // redelivered; they are processed every time, which the effects here tolerate (deleting or moving notes
  // twice changes nothing the second time).
  const outcome = await deps.deliveries.processOnce({ siteId: tenant.siteId, webhookId, event }, effect);
  log.info(outcome === 'duplicate' ? 'webhook_duplicate' : 'webhook_processed', fields);
  return outcome;
}

function webhookIdOf(request: Request): string | undefined {
  const id = request.headers.get('x-atlassian-webhook-identifier')?.trim();
  if (!id) return undefined;
  if (id.length > MAX_WEBHOOK_ID_LENGTH || !/^[\x21-\x7e]+$/.test(id)) throw new ConnectError('BAD_REQUEST', 'The X-Atlassian-Webhook-Identifier header is malformed.');
  return id;
}

/** `X-Atlassian-Webhook-Retry`: present on redeliveries only, the retry count. Logged, never trusted. */
function retryOf(request: Request): number {
  const n = Number(request.headers.get('x-atlassian-webhook-retry') ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
