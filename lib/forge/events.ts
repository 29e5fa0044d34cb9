/**
 * Forge events delivered to the remote (`trigger` and `preUninstall` modules whose `endpoint` points here):
 *
 *   POST /api/forge/events     lifecycle `avi:forge:installed:app`, `avi:forge:upgraded:app`;
 *                              product `avi:jira:deleted:issue`, `avi:jira:updated:issue`
 *   POST /api/forge/uninstall  the `preUninstall` module (GA 30 Mar 2026, CHANGE-3105)
 *
 *   204  applied, or a redelivery, or nothing to do;  400 a body the app cannot use;  401/403 a bad FIT or one
 *        minted for another module;
 *   409  the token contradicts the stored site (lib/sites/store.ts);  503 the key server or the database is down,
 *        or the answer was not decided within FORGE_EVENT_DEADLINE_MS (DEADLINE_EXCEEDED): Forge retries
 *
 * Forge gives an endpoint 5 s and retries up to 4 times with the same payload, so every event is idempotent:
 * lifecycle events are upserts (an older `iat` than the newest applied changes nothing); a product event is
 * recorded in WebhookDelivery under its own identity (`issue.id` for a deletion, `changelog.id` for an
 * update) in the same transaction as its effect (lib/webhooks/deliveries.ts), and the effect is the one the
 * Connect webhook has (lib/webhooks/registry.ts). The FIT is verified, its module checked against the route
 * (lib/forge/route-rules.ts: the endpoint's `core:endpoint` token, no user, an eventType the manifest's triggers
 * send here; else 403 FORGE_MODULE_NOT_ALLOWED) and the whole body checked before anything is read or written.
 */
import { ConnectError } from '../connect/errors';
import { isStorableIat } from '../db/lifecycle-iat';
import type { Deadline } from '../deadline';
import { readJsonBody } from '../http/body';
import { log } from '../log';
import { siteStore, type SiteStore } from '../sites/store';
import { webhookDeliveries, type WebhookDeliveries } from '../webhooks/deliveries';
import { WEBHOOK_BODY_LIMIT } from '../webhooks/receive';
import { WEBHOOKS, type WebhookDefinition } from '../webhooks/registry';
import { verifyForgeRequest, type VerifyForgeInvocationTokenOptions } from './invocation-token';
import { connectPairing } from './pairing';
import { forgeRemoteOptions } from './remote';
import { assertBackendInvocation, assertRoutedEventType, type ForgeBackendRoute } from './route-rules';
import { forgeSiteClaims } from './site-claims';

export const FORGE_LIFECYCLE_EVENTS = ['avi:forge:installed:app', 'avi:forge:upgraded:app'] as const;

/** Forge product events → the Connect webhook whose effect they have, and the field that identifies one delivery. */
const PRODUCT_EVENTS: Record<string, { webhook: WebhookDefinition; identity: (body: Record<string, unknown>) => unknown }> = {
  'avi:jira:deleted:issue': { webhook: WEBHOOKS['issue-deleted'], identity: (body) => (body.issue as { id?: unknown } | undefined)?.id },
  'avi:jira:updated:issue': { webhook: WEBHOOKS['issue-updated'], identity: (body) => (body.changelog as { id?: unknown } | undefined)?.id },
};

/**
 * The routes of app/api/forge/events and app/api/forge/uninstall: each must be an endpoint's `route.path` in
 * forge/manifest.yml (the type fails to compile, and test/forge/route-rules.test.ts fails, when it is not).
 */
export const FORGE_EVENTS_ROUTE: ForgeBackendRoute = '/api/forge/events';
export const FORGE_UNINSTALL_ROUTE: ForgeBackendRoute = '/api/forge/uninstall';

/** Every event type receiveForgeEvent applies: a trigger in forge/manifest.yml may route no other here. */
export const FORGE_HANDLED_EVENT_TYPES: readonly string[] = [...FORGE_LIFECYCLE_EVENTS, ...Object.keys(PRODUCT_EVENTS)];

/** Longest event identity accepted (Jira ids are short numbers). */
const MAX_IDENTITY_LENGTH = 64;

/**
 * The event and uninstall routes, and the privacy trigger (lib/privacy/forge-trigger.ts), decide their answer
 * within this many ms of starting (lib/deadline.ts), or
 * answer 503 DEADLINE_EXCEEDED. Forge waits 5 s for a remote's answer ("remote invocations will have a
 * timeout of 5 seconds", Forge Remote, "Sending product and lifecycle events"); the 1.5 s left cover the
 * network, a cold start and a loaded event loop, so Forge gets the 503 (and retries) rather than a timeout.
 */
export const FORGE_EVENT_DEADLINE_MS = 3_500;

export interface ForgeEventDeps {
  verify: VerifyForgeInvocationTokenOptions;
  sites: SiteStore;
  deliveries: WebhookDeliveries;
  /** The request's deadline: the event's transaction rolls back rather than commit after it. */
  deadline?: Deadline;
  /** How a join with the Connect tenant is confirmed (./pairing.ts); tests replace it. */
  pairing?: typeof connectPairing;
}

/** The app's dependencies: FORGE_APP_ID and JWKS, the site store and the delivery log over `getDb()`. */
export function forgeEventDeps(deadline?: Deadline): ForgeEventDeps {
  return { verify: forgeRemoteOptions(), sites: siteStore(), deliveries: webhookDeliveries(), deadline };
}

export type ForgeEventOutcome = 'processed' | 'duplicate' | 'ignored';

/**
 * Verifies and applies one Forge event; resolves when it may be acknowledged with 204.
 *
 * @example await receiveForgeEvent(request, forgeEventDeps());
 */
export async function receiveForgeEvent(request: Request, deps: ForgeEventDeps): Promise<ForgeEventOutcome> {
  const forge = await verifyForgeRequest(request, deps.verify);
  const { invocation } = forge;
  assertBackendInvocation(invocation, FORGE_EVENTS_ROUTE);
  const claims = forgeSiteClaims(invocation);
  const body = await readObject(request);
  // The endpoint asks for the system token (forge/manifest.yml), so an event can confirm a Connect join too,
  // within half of the time the deadline leaves (./pairing.ts): a slow Atlassian API defers the join, never the event.
  const confirmPairing = (deps.pairing ?? connectPairing)(forge, { deadline: deps.deadline });
  const eventType = body.eventType;
  assertRoutedEventType(FORGE_EVENTS_ROUTE, eventType);
  const iat = issuedAt(invocation.claims.iat);
  const fields = { installationId: claims.installationId, eventType: String(eventType).slice(0, 64) };

  if (eventType === 'avi:forge:installed:app' || eventType === 'avi:forge:upgraded:app') {
    const applied = await deps.sites.recordLifecycle(claims, eventType === 'avi:forge:installed:app' ? 'installed' : 'upgraded', { iat, confirmPairing });
    log.info(applied ? 'forge_lifecycle_applied' : 'forge_lifecycle_ignored', fields);
    return applied ? 'processed' : 'ignored';
  }

  const product = typeof eventType === 'string' && Object.hasOwn(PRODUCT_EVENTS, eventType) ? PRODUCT_EVENTS[eventType] : undefined;
  if (!product) throw new ConnectError('BAD_REQUEST', 'This endpoint does not handle that eventType.');
  const effect = product.webhook.plan(body);
  if (!effect) {
    log.info('forge_event_ignored', fields);
    return 'ignored';
  }
  const identity = product.identity(body);
  if ((typeof identity !== 'string' && typeof identity !== 'number') || String(identity).length === 0 || String(identity).length > MAX_IDENTITY_LENGTH) {
    throw new ConnectError('BAD_REQUEST', 'The event has no valid identity (issue.id or changelog.id).');
  }
  const installation = await deps.sites.resolveForgeInstallation(claims, { allowUninstalled: true, confirmPairing });
  if (installation.state === 'uninstalled') {
    log.info('forge_event_ignored', { ...fields, reason: 'uninstalled' });
    return 'ignored';
  }
  // Keyed by event type and identity: a Connect webhook's X-Atlassian-Webhook-Identifier never looks like this.
  const webhookId = `${eventType}/${identity}`;
  const outcome = await deps.deliveries.processOnce({ siteId: installation.siteId, webhookId, event: eventType as string }, effect, { deadline: deps.deadline });
  log.info(outcome === 'duplicate' ? 'forge_event_duplicate' : 'forge_event_processed', { ...fields, siteId: installation.siteId });
  return outcome;
}

/**
 * `preUninstall`: the installation is marked uninstalled (its site's data stays, as with a Connect
 * uninstall). Idempotent; an unknown installation has nothing to mark.
 *
 * @example await receiveForgeUninstall(request, forgeEventDeps());
 */
export async function receiveForgeUninstall(request: Request, deps: ForgeEventDeps): Promise<ForgeEventOutcome> {
  const { invocation } = await verifyForgeRequest(request, deps.verify);
  assertBackendInvocation(invocation, FORGE_UNINSTALL_ROUTE);
  forgeSiteClaims(invocation);
  // Only the signed token is used: the body (the event as Forge sends it) adds nothing the FIT does not say.
  await request.body?.cancel().catch(() => undefined);
  const applied = await deps.sites.markUninstalled(invocation.installationId, { iat: issuedAt(invocation.claims.iat) });
  log.info(applied ? 'forge_uninstalled' : 'forge_uninstall_ignored', { installationId: invocation.installationId });
  return applied ? 'processed' : 'ignored';
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  const body = await readJsonBody(request, WEBHOOK_BODY_LIMIT);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConnectError('BAD_REQUEST', 'The event body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** `iat` orders lifecycle events; a FIT without one is ordered as issued now (jose checked `exp`). */
function issuedAt(iat: unknown): number {
  return isStorableIat(iat) ? iat : Math.floor(Date.now() / 1000);
}
