/**
 * Validation of lifecycle callback bodies. Everything here comes from the network: types, sizes and
 * shapes are checked before any field is trusted or stored.
 * Payload reference: https://developer.atlassian.com/cloud/jira/platform/connect-app-descriptor/#lifecycle-http-request-payload
 */
import { ConnectError } from './errors';
import { isAllowedProductUrl, normalizeBaseUrl } from './hosts';
import type { InstallPayload } from '../tenants/types';

export type LifecycleEvent = 'installed' | 'uninstalled' | 'enabled' | 'disabled';
export const LIFECYCLE_EVENTS: readonly LifecycleEvent[] = ['installed', 'uninstalled', 'enabled', 'disabled'];

/** Lifecycle bodies are about 1 KB; anything near this limit is not from Atlassian. */
export const LIFECYCLE_BODY_LIMIT = 16 * 1024;

const CLIENT_KEY = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,254}$/;
/** A Forge installation id, as the `installed` payload of an app registered on Forge carries it. */
export const FORGE_INSTALLATION_ID = /^ari:cloud:ecosystem::installation\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface LifecyclePayload extends InstallPayload {
  eventType: LifecycleEvent;
}

interface Rules {
  event: LifecycleEvent;
  appKey: string;
  allowedHosts: string[];
}

/** Checks a parsed body against the rules for `event`; throws BAD_REQUEST or HOST_NOT_ALLOWED. */
export function parseLifecyclePayload(body: unknown, rules: Rules): LifecyclePayload {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('The body must be a JSON object.');
  const b = body as Record<string, unknown>;
  const text = (name: string, max: number, required = true): string | null => {
    const v = b[name];
    if (v === undefined || v === null) {
      if (required) bad(`"${name}" is required.`);
      return null;
    }
    if (typeof v !== 'string' || v.length > max) bad(`"${name}" must be a string of at most ${max} characters.`);
    return v;
  };

  const eventType = text('eventType', 32);
  if (eventType !== rules.event) bad(`"eventType" must be "${rules.event}" on this callback.`);
  const clientKey = text('clientKey', 255)!;
  if (!CLIENT_KEY.test(clientKey)) bad('"clientKey" has an invalid format.');
  const key = text('key', 64)!;
  if (key !== rules.appKey) bad('"key" is not this app\'s key.');
  // Only `installed` must carry a secret; the others are authenticated by one we already hold.
  const sharedSecret = text('sharedSecret', 512, rules.event === 'installed');
  if (rules.event === 'installed' && sharedSecret!.length < 16) bad('"sharedSecret" is too short.');
  const baseUrl = text('baseUrl', 512)!;
  if (!isAllowedProductUrl(baseUrl, rules.allowedHosts)) {
    throw new ConnectError('HOST_NOT_ALLOWED', '"baseUrl" is not on a product host this app accepts installs from.');
  }
  const displayUrl = text('displayUrl', 512, false);
  if (displayUrl !== null && !isAllowedProductUrl(displayUrl, rules.allowedHosts)) {
    throw new ConnectError('HOST_NOT_ALLOWED', '"displayUrl" is not on a product host this app accepts installs from.');
  }

  const installationId = text('installationId', 128, false);
  if (installationId !== null && !FORGE_INSTALLATION_ID.test(installationId)) bad('"installationId" must be a Forge installation id (ari:cloud:ecosystem::installation/<uuid>).');

  return {
    eventType: rules.event,
    clientKey,
    key,
    sharedSecret: sharedSecret ?? '',
    baseUrl: normalizeBaseUrl(baseUrl)!,
    displayUrl: displayUrl === null ? null : normalizeBaseUrl(displayUrl),
    productType: text('productType', 32)!,
    description: text('description', 1000, false) ?? '',
    oauthClientId: text('oauthClientId', 255, false),
    serverVersion: text('serverVersion', 64, false),
    pluginsVersion: text('pluginsVersion', 64, false),
    installationId,
  };
}

function bad(message: string): never {
  throw new ConnectError('BAD_REQUEST', message);
}
