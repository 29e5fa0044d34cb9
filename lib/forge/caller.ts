/**
 * The Forge door of the app's own API: a Forge Invocation Token (Custom UI calling `invokeRemote` /
 * `requestRemote`) turned into the verified caller domain code takes (lib/sites/caller.ts). Only the UI modules
 * the manifest routes to the UI endpoint get through (lib/forge/route-rules.ts). The site comes
 * from the signed `app.installationId` and `context.cloudId` (lib/sites/store.ts), the user from
 * `principal`, the bound issue from `context.extension.issue.key`, the license from `app.license.isActive`.
 */
import type { VerifiedCaller } from '../sites/caller';
import { siteStore, type SiteStore } from '../sites/store';
import { verifyForgeRequest, type ForgeRemoteRequest, type VerifyForgeInvocationTokenOptions } from './invocation-token';
import { connectPairing } from './pairing';
import { forgeRemoteOptions } from './remote';
import { assertUiInvocation } from './route-rules';
import { extensionIssueKey, forgeLicense, forgeSiteClaims } from './site-claims';

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
 * Verifies the FIT and that a UI module of the app minted it (nothing is read or written before both are
 * proven), then resolves its site.
 *
 * @example return handle(async () => listNotes((await forgeCaller(request)).caller, request, notesApiDeps()));
 */
export async function forgeCaller(request: Request, deps: ForgeDoorDeps = forgeDoorDeps()): Promise<ForgeCaller> {
  const forge = await verifyForgeRequest(request, deps.verify);
  assertUiInvocation(forge.invocation);
  const claims = forgeSiteClaims(forge.invocation);
  const installation = await deps.sites.resolveForgeInstallation(claims, { confirmPairing: (deps.pairing ?? connectPairing)(forge) });
  return {
    caller: {
      siteId: installation.siteId,
      accountId: forge.invocation.accountId,
      boundIssueKey: extensionIssueKey(forge.invocation.context),
      license: forgeLicense(forge.invocation.license),
    },
    forge,
  };
}
