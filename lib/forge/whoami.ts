/**
 * The sample Forge Remote operation: who is calling, as the verified invocation token says. Useful as a
 * first call from a Forge module (it proves the remote, the FIT verification and the app id all line up)
 * and as the pattern for real endpoints: verify, then read identities only from the verified token.
 */
import type { ForgeInvocation } from './invocation-token';

export interface Whoami {
  /** Key remote data by this (Atlassian's advice); it changes if the app is reinstalled. */
  installationId: string;
  /** The site; stable across reinstalls. Absent for invocations without a product context. */
  cloudId: string | null;
  /** The user who invoked the app; absent for backend invocations (triggers, scheduled jobs). */
  accountId: string | null;
}

/** @example Response.json(whoami(invocation)) */
export function whoami(invocation: ForgeInvocation): Whoami {
  return {
    installationId: invocation.installationId,
    cloudId: invocation.cloudId ?? null,
    accountId: invocation.accountId ?? null,
  };
}
