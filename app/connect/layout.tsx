import type { ReactNode } from 'react';
import { ALL_JS_ELEMENT_ID } from '@/lib/ap';
import { verifiedPage } from '@/lib/http/connect-headers';

// Every page here is rendered per request for one verified tenant (proxy.ts).
export const dynamic = 'force-dynamic';

/**
 * The shell of every iframe page: Atlassian's all.js and the auto-resizing `ac-content` container.
 *
 * all.js is loaded from the product's own `<baseUrl>/atlassian-connect/all.js` rather than Atlassian's
 * CDN: the tenant's product serves the copy that matches its host side, and the same line then works
 * against a real Jira or Confluence and against the local host simulator (offline), with no branch.
 */
export default async function ConnectLayout({ children }: { children: ReactNode }) {
  const { baseUrl } = await verifiedPage();
  return (
    <>
      <script id={ALL_JS_ELEMENT_ID} src={`${baseUrl}/atlassian-connect/all.js`} />
      <div className="ac-content" style={{ padding: '4px 2px 8px' }}>
        {children}
      </div>
    </>
  );
}
