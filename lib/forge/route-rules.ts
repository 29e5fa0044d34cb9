/**
 * Which Forge module a route serves: the Forge door's counterpart of Connect's qsh. A FIT proves that Forge
 * signed an invocation of this app for an installation, not which endpoint it was meant for: `invokeRemote`
 * from Custom UI reaches any path of the remote with any method and body. So every Forge route checks, right
 * after the signature and before anything is read or written, that the token was minted for a module that
 * forge/manifest.yml routes to it (the table in route-rules.generated.ts, made from the manifest):
 *
 *   UI API (/api/forge/notes, …)   `app.module` is one of the UI modules whose `resolver.endpoint` is the UI
 *                                  endpoint (jira:issuePanel issue-notes-forge, jira:globalPage notes-overview-forge)
 *   /api/forge/events              `core:endpoint` with the events endpoint's key, no `principal`, and a body
 *                                  `eventType` that one of the triggers routed there lists
 *   /api/forge/uninstall           `core:endpoint` with the preUninstall endpoint's key, no `principal`
 *   /api/forge/privacy-report      `core:endpoint` with the scheduled trigger's endpoint key, no `principal`
 *
 * Anything else is 403 FORGE_MODULE_NOT_ALLOWED.
 * https://developer.atlassian.com/platform/forge/remote/essentials/#the-forge-invocation-token--fit-
 */
import { ConnectError } from '../connect/errors';
import type { ForgeInvocation } from './invocation-token';
import { FORGE_BACKEND_ROUTES, FORGE_UI_MODULES } from './route-rules.generated';

/** `app.module.type` of every invocation that is not a UI module's (events, scheduled triggers, preUninstall). */
export const FORGE_ENDPOINT_MODULE_TYPE = 'core:endpoint';

/** A route Forge POSTs to (an endpoint's `route.path` in forge/manifest.yml). */
export type ForgeBackendRoute = keyof typeof FORGE_BACKEND_ROUTES;

/** True for an invocation Forge made without a UI module (no user, no product context). */
export function isBackendInvocation(invocation: ForgeInvocation): boolean {
  return invocation.module?.type === FORGE_ENDPOINT_MODULE_TYPE;
}

/**
 * Refuses a FIT that no UI module routed to the UI endpoint minted: an event's or preUninstall's token, a module
 * key the manifest does not have, a UI module served by another endpoint.
 *
 * @example assertUiInvocation(invocation); // then resolve the site
 */
export function assertUiInvocation(invocation: ForgeInvocation): void {
  const module = invocation.module;
  if (!module || !FORGE_UI_MODULES.some((m) => m.type === module.type && m.key === module.key)) {
    throw notAllowed('This route serves the app’s UI modules only.');
  }
}

/**
 * Refuses a FIT that was not minted by Forge for the endpoint routed to `route`: Forge signs events, scheduled
 * triggers and preUninstall as `core:endpoint` with the endpoint's key, and without a user (`principal` comes
 * with UI modules only).
 *
 * @example assertBackendInvocation(invocation, '/api/forge/uninstall');
 */
export function assertBackendInvocation(invocation: ForgeInvocation, route: ForgeBackendRoute): void {
  const rule = FORGE_BACKEND_ROUTES[route];
  const module = invocation.module;
  if (module?.type !== FORGE_ENDPOINT_MODULE_TYPE || module.key !== rule.endpoint) {
    throw notAllowed(`This route serves Forge's calls to the ${rule.endpoint} endpoint only.`);
  }
  if (invocation.accountId !== undefined) throw notAllowed('Forge sends this route no user; a token with a principal was minted for a UI call.');
}

/**
 * Refuses an event type that none of the triggers routed to `route` lists: the body is not signed, so the event
 * route applies only what the manifest subscribed it to.
 *
 * @example assertRoutedEventType('/api/forge/events', body.eventType);
 */
export function assertRoutedEventType(route: ForgeBackendRoute, eventType: unknown): void {
  const listed: readonly string[] | null = FORGE_BACKEND_ROUTES[route].eventTypes;
  if (!listed || typeof eventType !== 'string' || !listed.includes(eventType)) {
    throw notAllowed('No trigger in the manifest sends this eventType to this route.');
  }
}

function notAllowed(message: string): ConnectError {
  return new ConnectError('FORGE_MODULE_NOT_ALLOWED', message);
}
