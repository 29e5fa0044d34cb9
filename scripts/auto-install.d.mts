export const INSTALL_CONTENT_TYPE: string;

export class AutoInstallError extends Error {
  constructor(code: AutoInstallError['code'], message: string);
  readonly code: 'CONFIG' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'REFUSED' | 'FAILED' | 'TIMEOUT' | 'UNREACHABLE';
}

export interface AutoInstallSettings {
  /** The site's base URL, no trailing slash (Confluence: ending in /wiki). */
  site: string;
  email: string;
  apiToken: string;
  /** APP_URL: public, https. */
  appUrl: string;
  descriptorUrl: string;
  /** ATLASSIAN_UNINSTALL_ON_EXIT=1 */
  uninstallOnExit: boolean;
}

export interface UpmRequest {
  site: string;
  email: string;
  apiToken: string;
  /** The app key, when known: reported as a reinstall if the site has it already. */
  appKey?: string;
  /** For tests; default the global fetch. */
  fetch?: typeof fetch;
}

export function autoInstallSettings(env: Record<string, string | undefined>): AutoInstallSettings | null;
export function parseSite(raw: string): string;
export function parsePublicAppUrl(raw: string | undefined): string;
export function installApp(options: UpmRequest & { descriptorUrl: string; timeoutMs?: number }): Promise<{ key: string; enabled: boolean; reinstalled: boolean }>;
export function uninstallApp(options: UpmRequest & { appKey: string }): Promise<boolean>;

export interface DevelopmentInstall {
  /** Settles when the install succeeded or failed (failures are reported through `warn`). */
  done: Promise<void>;
  /** Uninstalls the app if it was installed and ATLASSIAN_UNINSTALL_ON_EXIT=1. */
  onExit(): Promise<void>;
}

export function developmentInstall(
  settings: AutoInstallSettings,
  io: { localUrl: string; log: (message: string) => void; warn: (message: string) => void; fetch?: typeof fetch; startTimeoutMs?: number },
): DevelopmentInstall;
