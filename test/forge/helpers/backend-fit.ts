/**
 * FITs for backend invocations (events, `preUninstall`), as the contract describes Forge's: module
 * `core:endpoint` with the endpoint's key, no `principal`, no `context` (the site comes from `app.apiBaseUrl`).
 */
import { signFit, type SigningKey } from './forge-platform';
import { siteClaims, type ForgeSite } from './forge-door';

export function backendFit(signing: SigningKey, site: ForgeSite, endpoint: 'forge-events' | 'forge-uninstall'): Promise<string> {
  const claims = siteClaims(site, { principal: null });
  delete claims.context;
  claims.app = { ...(claims.app as object), module: { type: 'core:endpoint', key: endpoint } };
  return signFit(signing, claims);
}
