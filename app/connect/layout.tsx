import type { ReactNode } from 'react';

/**
 * The shell of every iframe page: the auto-resizing `ac-content` container. Atlassian's all.js is loaded
 * by lib/ap when the page first uses AP: from Atlassian's CDN on a real site, from the simulator in
 * development (proxy.ts checked which product framed the page).
 */
export default function ConnectLayout({ children }: { children: ReactNode }) {
  return (
    <div className="ac-content" style={{ padding: '4px 2px 8px' }}>
      {children}
    </div>
  );
}
