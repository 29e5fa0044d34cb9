/**
 * Typed access to the parts of Atlassian's `AP` (the Connect JavaScript API, from all.js) that the app
 * uses. Browser only: import it from client components.
 * https://developer.atlassian.com/cloud/jira/platform/about-the-javascript-api/
 */
import { isLoopbackHost } from '../connect/hosts';

export interface JiraContext {
  jira?: {
    issue?: { key: string; id: string };
    project?: { key: string; id: string };
  };
}

export type FlagType = 'info' | 'success' | 'warning' | 'error';

interface AP {
  context: {
    getToken(callback?: (token: string) => void): Promise<string> | void;
    getContext(callback?: (context: JiraContext) => void): Promise<JiraContext> | void;
  };
  resize(width?: string, height?: string): void;
  sizeToParent(): void;
  flag: { create(options: { title: string; body?: string; type?: FlagType; close?: 'manual' | 'auto' }): unknown };
}

export class NotInConnectHostError extends Error {
  constructor() {
    super('This page must be opened inside Jira (or the connect-next host simulator): Atlassian\'s all.js did not load, so AP is missing.');
    this.name = 'NotInConnectHostError';
  }
}

const AP_WAIT_MS = 10_000;
let apPromise: Promise<AP> | undefined;

/** Where Atlassian serves all.js to apps on real sites, as its docs and production apps load it. */
export const ATLASSIAN_ALL_JS_URL = 'https://connect-cdn.atl-paas.net/all.js';

/**
 * Where the page loads Atlassian's all.js from, given the iframe URL's query (`xdm_e`, `cp`; the page's route
 * (lib/http/iframe-page.ts) refused the page load unless they name the tenant's own site):
 * - a real Jira or Confluence site: Atlassian's CDN, https://connect-cdn.atl-paas.net/all.js
 *   (https://developer.atlassian.com/cloud/jira/platform/about-the-javascript-api/);
 * - the local simulator, whose site is on a loopback host (a tenant on loopback exists only where
 *   CONNECT_ALLOWED_HOSTS names it, which `npm run dev` and the tests do): its own copy,
 *   `<xdm_e><cp>/atlassian-connect/all.js`, so development and the browser tests work offline.
 * Null outside a Connect iframe (no `xdm_e`).
 *
 * @example allJsUrl('?xdm_e=https%3A%2F%2Facme.atlassian.net&cp=') // 'https://connect-cdn.atl-paas.net/all.js'
 */
export function allJsUrl(search: string): string | null {
  const params = new URLSearchParams(search);
  const origin = params.get('xdm_e');
  if (!origin) return null;
  let product: URL;
  try {
    product = new URL(origin);
  } catch {
    return null;
  }
  if (!isLoopbackHost(product.hostname)) return ATLASSIAN_ALL_JS_URL;
  return `${product.origin}${params.get('cp') ?? ''}/atlassian-connect/all.js`;
}

/**
 * The host's `AP` object, loading all.js on first use. Rejects with NotInConnectHostError when the page is
 * opened outside a Connect iframe (no product parameters, all.js failed to load, or never defined AP).
 */
export function ap(): Promise<AP> {
  apPromise ??= new Promise<AP>((resolve, reject) => {
    const loaded = () => (globalThis as { AP?: AP }).AP;
    if (loaded()) return resolve(loaded()!);
    const src = allJsUrl(window.location.search);
    if (!src) return reject(new NotInConnectHostError());
    const fail = () => reject(new NotInConnectHostError());
    const timer = setTimeout(fail, AP_WAIT_MS);
    const script = document.createElement('script');
    script.src = src;
    script.onerror = () => (clearTimeout(timer), fail());
    script.onload = () => {
      clearTimeout(timer);
      const host = loaded();
      if (host) resolve(host);
      else fail();
    };
    document.head.appendChild(script);
  });
  return apPromise;
}

/** Calls an AP method that takes a callback (older all.js) or returns a promise (current all.js). */
function call<T>(invoke: (callback: (value: T) => void) => Promise<T> | void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      const result = invoke(resolve);
      if (result && typeof (result as Promise<T>).then === 'function') (result as Promise<T>).then(resolve, reject);
    } catch (err) {
      reject(err);
    }
  });
}

/** Refresh this long before `exp`, so a token never expires between fetching and arriving at the server. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;
let cachedToken: { token: string; refreshAt: number } | undefined;
let pendingToken: Promise<string> | undefined;

/**
 * A context token (`qsh: context-qsh`) for calling the app's own API, cached until shortly before it expires.
 *
 * @example fetch('/api/notes', { headers: { Authorization: `JWT ${await contextToken()}` } })
 */
export async function contextToken(): Promise<string> {
  if (cachedToken && Date.now() < cachedToken.refreshAt) return cachedToken.token;
  pendingToken ??= ap()
    .then((host) => call<string>((cb) => host.context.getToken(cb)))
    .then((token) => {
      cachedToken = { token, refreshAt: expiryMs(token) - TOKEN_REFRESH_MARGIN_MS };
      return token;
    })
    .finally(() => {
      pendingToken = undefined;
    });
  return pendingToken;
}

/** Shows a flag (toast) in the product. */
export async function showFlag(title: string, body: string, type: FlagType = 'info'): Promise<void> {
  (await ap()).flag.create({ title, body, type, close: 'auto' });
}

/** `exp` of a JWT in milliseconds; read without verifying: the server verifies, the client only schedules. */
function expiryMs(token: string): number {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}
