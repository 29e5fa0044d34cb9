/**
 * What a verified FIT says about the site, in the shape the site store takes (lib/sites/store.ts), and the
 * issue a Custom UI invocation is bound to. Only signed claims are read; nothing from the body or headers.
 */
import { ConnectError } from '../connect/errors';
import type { LicenseState } from '../sites/caller';
import type { ForgeSiteClaims } from '../sites/store';
import type { ForgeInvocation } from './invocation-token';

/** Forge's cloudIds are UUIDs. */
const CLOUD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `app.apiBaseUrl` ends in `/ex/<product>/<cloudId>` (https://api.atlassian.com/ex/jira/<cloudId>). */
const API_BASE_CLOUD_ID = /\/ex\/[a-z]+\/([0-9a-f-]{36})\/?$/i;

/**
 * The site claims of a verified invocation. The cloudId is `context.cloudId`, or, for invocations that carry
 * no product context (some backend events), the one `app.apiBaseUrl` names; both are signed, and when both
 * are present they must agree. Throws CLAIM_INVALID when the token names no site.
 *
 * @example const claims = forgeSiteClaims(invocation); await siteStore().resolveForgeInstallation(claims);
 */
export function forgeSiteClaims(invocation: ForgeInvocation): ForgeSiteClaims {
  const fromApiBase = invocation.apiBaseUrl ? API_BASE_CLOUD_ID.exec(safePath(invocation.apiBaseUrl))?.[1] : undefined;
  const cloudId = invocation.cloudId ?? fromApiBase;
  if (!cloudId || !CLOUD_ID.test(cloudId)) throw new ConnectError('CLAIM_INVALID', 'The Forge invocation token names no site (context.cloudId).');
  if (fromApiBase && fromApiBase.toLowerCase() !== cloudId.toLowerCase()) {
    throw new ConnectError('CLAIM_INVALID', 'The Forge invocation token names two different sites.');
  }
  return {
    installationId: invocation.installationId,
    cloudId: cloudId.toLowerCase(),
    siteUrl: invocation.siteUrl,
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
