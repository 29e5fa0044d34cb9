/** A tenant is one installation of this app in one Atlassian site (one `clientKey`). */
export type TenantState = 'installed' | 'enabled' | 'disabled' | 'uninstalled';

/**
 * The fields of the `installed` lifecycle payload the app keeps.
 * See https://developer.atlassian.com/cloud/jira/platform/connect-app-descriptor/#lifecycle-http-request-payload
 */
export interface InstallPayload {
  clientKey: string;
  /** The app key from our descriptor, as the product saw it. */
  key: string;
  baseUrl: string;
  displayUrl?: string | null;
  productType: string;
  description: string;
  sharedSecret: string;
  oauthClientId?: string | null;
  serverVersion?: string | null;
  pluginsVersion?: string | null;
  /**
   * The Forge installation (`ari:cloud:ecosystem::installation/<uuid>`), sent once the app is registered on
   * Forge. https://developer.atlassian.com/platform/adopting-forge-from-connect/migrate-connect-clientkey
   */
  installationId?: string | null;
}

export interface Tenant {
  clientKey: string;
  /** The Site whose data this installation reaches (lib/sites/). */
  siteId: string;
  /** The Forge installation linked to this Connect installation, from a signed `installed` payload. */
  installationId: string | null;
  key: string;
  baseUrl: string;
  displayUrl: string | null;
  productType: string;
  description: string;
  /** Decrypted, in memory only. Stored encrypted; never log it. */
  sharedSecret: string;
  oauthClientId: string | null;
  serverVersion: string | null;
  pluginsVersion: string | null;
  state: TenantState;
  installedAt: Date;
  enabledAt: Date | null;
  disabledAt: Date | null;
  uninstalledAt: Date | null;
  updatedAt: Date;
  /** `iat` (seconds) of the newest signed lifecycle event applied; older ones are replays. */
  lastLifecycleIat: number | null;
}

/** A tenant without its shared secret: what lifecycle decisions read (the secret is never decrypted for them). */
export type TenantRecord = Omit<Tenant, 'sharedSecret'>;
