/**
 * The Forge door of the app's own API: a Forge Invocation Token (Custom UI calling `invokeRemote` /
 * `requestRemote`) turned into the verified caller domain code takes (lib/sites/caller.ts). The site comes
 * from the signed `app.installationId` and `context.cloudId` (lib/sites/store.ts), the user from
 * `principal`, the bound issue from `context.extension.issue.key`.
 */
import type { VerifiedCaller } from '../sites/caller';
import { siteStore, type SiteStore } from '../sites/store';
import { verifyForgeRequest, type ForgeRemoteRequest, type VerifyForgeInvocationTokenOptions } from './invocation-token';
import { connectPairing } from './pairing';
import { forgeRemoteOptions } from './remote';
import { extensionIssueKey, forgeSiteClaims } from './site-claims';

export interface ForgeDoorDeps {
  verify: VerifyForgeInvocationTokenOptions;
  sites: Pick<SiteStore, 'resolveForgeInstallation'>;
  /** How a join with the Connect tenant is confirmed (./pairing.ts); tests replace it. */
  pairing?: typeof connectPairing;
}

/** The app's Forge door: FORGE_APP_ID and the JWKS from configuration, the site store over `getDb()`. */
export function forgeDoorDeps(): ForgeDoorDeps {
  return { verify: forgeRemoteOptions(), sites: siteStore() };
}

export interface ForgeCaller {
  caller: VerifiedCaller;
  /** The verified invocation and the tokens Forge sent with it (for lib/forge/product-client.ts). */
  forge: ForgeRemoteRequest;
}

/**
 * Verifies the FIT (nothing is read or written before it is proven) and resolves its site.
 *
 * @example return handle(async () => listNotes((await forgeCaller(request)).caller, request, notesApiDeps()));
 */
export async function forgeCaller(request: Request, deps: ForgeDoorDeps = forgeDoorDeps()): Promise<ForgeCaller> {
  const forge = await verifyForgeRequest(request, deps.verify);
  const claims = forgeSiteClaims(forge.invocation);
  const installation = await deps.sites.resolveForgeInstallation(claims, { confirmPairing: (deps.pairing ?? connectPairing)(forge) });
  return {
    caller: { siteId: installation.siteId, accountId: forge.invocation.accountId, boundIssueKey: extensionIssueKey(forge.invocation.context) },
    forge,
  };
}
