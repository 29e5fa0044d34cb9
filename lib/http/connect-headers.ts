import { headers } from 'next/headers';

/** Request headers through which proxy.ts hands a verified page load to the page. */
export const CONNECT_HEADERS = {
  clientKey: 'x-connect-client-key',
  baseUrl: 'x-connect-base-url',
  accountId: 'x-connect-account-id',
} as const;

export interface VerifiedPage {
  clientKey: string;
  /** The product's base URL: where all.js and the product's REST API live. */
  baseUrl: string;
  accountId: string | null;
}

/**
 * The verified page load, in a server component under app/connect/. Throws if proxy.ts did not verify
 * this request: a misconfigured matcher must fail closed, not render unauthenticated.
 */
export async function verifiedPage(): Promise<VerifiedPage> {
  const h = await headers();
  const clientKey = h.get(CONNECT_HEADERS.clientKey);
  const baseUrl = h.get(CONNECT_HEADERS.baseUrl);
  if (!clientKey || !baseUrl) throw new Error('This page was rendered without proxy.ts verifying its JWT; check the matcher.');
  return { clientKey, baseUrl, accountId: h.get(CONNECT_HEADERS.accountId) };
}
