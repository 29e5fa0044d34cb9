export const APP_KEY_PATTERN: RegExp;

export class IdentityError extends Error {
  constructor(code: IdentityError['code'], message: string);
  readonly code: 'INVALID_APP_KEY' | 'INVALID_APP_NAME' | 'INVALID_PACKAGE_NAME' | 'NOT_A_PROJECT';
}

export interface Identity {
  /** The Connect app key (`atlassian-connect.json` "key"). */
  key: string;
  /** The display name (`atlassian-connect.json` "name", README title, page title). */
  name: string;
  /** The npm package name (`package.json` "name"). */
  packageName: string;
}

export interface IdentityChange {
  file: string;
  field: string;
  from: string;
  to: string;
}

export function checkAppKey(key: unknown): string;
export function checkAppName(name: unknown): string;
export function checkPackageName(name: unknown): string;
export function packageNameFrom(text: string): string;
export function titleFrom(text: string): string;
export function defaultAppKeyFor(packageName: string): string;
export function readIdentity(root: string): Identity;
export function applyIdentity(root: string, identity: Partial<Identity>): IdentityChange[];
