import type { ReactNode } from 'react';

/**
 * The shell of every iframe page: the auto-resizing `ac-content` container. Atlassian's all.js is loaded
 * by lib/ap when the page first uses AP, from the product that framed it (proxy.ts checked which).
 */
export default function ConnectLayout({ children }: { children: ReactNode }) {
  return (
    <div className="ac-content" style={{ padding: '4px 2px 8px' }}>
      {children}
    </div>
  );
}
