/**
 * Shared start-up of the Forge Custom UI entries: ask the product for the module's context, then render
 * the shared notes UI behind the Forge door. Runs inside the Forge iframe, where the product provides
 * `window.__bridge` before this bundle loads.
 */
import { view } from '@forge/bridge';
import type { ReactNode } from 'react';
import { createRoot } from 'react-dom/client';

/** The part of `view.getContext()` the sample reads. https://developer.atlassian.com/platform/forge/apis-reference/ui-api-bridge/view/#getcontext */
export interface ForgeContext {
  moduleKey?: string;
  extension?: { type?: string; issue?: { key?: string; id?: string }; project?: { key?: string; id?: string } };
}

export function mount(render: (context: ForgeContext) => ReactNode): void {
  const root = createRoot(document.getElementById('root')!);
  view.getContext().then(
    (context) => root.render(<div className="forge-content" style={{ padding: '4px 2px 8px' }}>{render(context as ForgeContext)}</div>),
    (err: Error) => root.render(<p role="alert">This page must be opened inside Jira: {err.message}</p>),
  );
}
