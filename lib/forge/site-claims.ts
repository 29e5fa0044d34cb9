/**
 * What a verified FIT says about the site, in the shape the site store takes (lib/sites/store.ts), and the
 * issue a Custom UI invocation is bound to. Only signed claims are read; nothing from the body or headers.
 */
import { ConnectError } from '../connect/errors';
import type { LicenseState } from '../sites/caller';
import type { ForgeSiteClaims } from '../sites/store';
import type { ForgeInvocation } from './invocation-token';
import { isBackendInvocation } from './route-rules';

/** Forge's cloudIds are UUIDs. */
const CLOUD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `app.apiBaseUrl` ends in `/ex/<product>/<cloudId>` (https://api.atlassian.com/ex/jira/<cloudId>). */
const API_BASE_CLOUD_ID = /\/ex\/[a-z]+\/([0-9a-f-]{36})\/?$/i;

/**
 * The site claims of a verified invocation. For a UI module's invocation the cloudId is `context.cloudId`, and
 * the one `app.apiBaseUrl` names must agree with it; the site URL is `context.siteUrl`. A backend invocation
 * (`core:endpoint`: events, scheduled triggers, preUninstall) carries no context ("When invoked from a backend
 * function, no context is currently provided"), so its site is the cloudId in `app.apiBaseUrl` alone, and any
 * context it might carry is not read. Throws CLAIM_INVALID when the token names no site.
 *
 * @example const claims = forgeSiteClaims(invocation); await siteStore().resolveForgeInstallation(claims);
 */
export function forgeSiteClaims(invocation: ForgeInvocation): ForgeSiteClaims {
  const fromApiBase = invocation.apiBaseUrl ? API_BASE_CLOUD_ID.exec(safePath(invocation.apiBaseUrl))?.[1] : undefined;
  const backend = isBackendInvocation(invocation);
  const cloudId = backend ? fromApiBase : (invocation.cloudId ?? fromApiBase);
  if (!cloudId || !CLOUD_ID.test(cloudId)) throw new ConnectError('CLAIM_INVALID', 'The Forge invocation token names no site (context.cloudId, or app.apiBaseUrl for a backend call).');
  if (fromApiBase && fromApiBase.toLowerCase() !== cloudId.toLowerCase()) {
    throw new ConnectError('CLAIM_INVALID', 'The Forge invocation token names two different sites.');
  }
  return {
    installationId: invocation.installationId,
    cloudId: cloudId.toLowerCase(),
    siteUrl: backend ? undefined : invocation.siteUrl,
    environmentType: invocation.environment?.type,
    environmentId: invocation.environment?.id,
    appVersion: invocation.appVersion,
  };
}

/**
 * The issue a Jira module's invocation is bound to: `context.extension.issue.key` (an issue panel, glance,
 * activity…), undefined for a global page.
 *
 * @example extensionIssueKey(invocation.context) // 'NOTE-1'
 */
export function extensionIssueKey(context: Record<string, unknown> | undefined): string | undefined {
  const key = (context?.extension as { issue?: { key?: unknown } } | undefined)?.issue?.key;
  return typeof key === 'string' && key ? key : undefined;
}

/**
 * The license state of a verified invocation: `app.license.isActive`. Forge puts `app.license` in the FIT
 * for paid apps in production only; in development and staging, and for free apps, it is absent and the
 * state is undefined (the platform says nothing). The FIT is signed, so this is what Atlassian says, unlike
 * `view.getContext()` in the browser.
 *
 * @example forgeLicense(invocation.license) // 'active' for { isActive: true, type: 'commercial', … }
 */
export function forgeLicense(license: Record<string, unknown> | undefined): LicenseState | undefined {
  if (typeof license?.isActive !== 'boolean') return undefined;
  return license.isActive ? 'active' : 'inactive';
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}
