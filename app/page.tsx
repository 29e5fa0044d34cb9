import { getConfig } from '@/lib/config';
import { renderDescriptor } from '@/lib/connect/descriptor';

export const dynamic = 'force-dynamic';

/** The app's own home page: what a developer sees when they open the app URL outside Atlassian. */
export default function Home() {
  const { appUrl } = getConfig();
  const descriptor = renderDescriptor(appUrl);
  const descriptorUrl = `${appUrl}/atlassian-connect.json`;
  return (
    <main style={{ maxWidth: 720, margin: '48px auto', padding: '0 24px' }}>
      <h1>{descriptor.name}</h1>
      <p>{String(descriptor.description ?? '')}</p>
      <p>
        This is an Atlassian Connect app. Its descriptor is served at{' '}
        <a href={descriptorUrl}>
          <code>{descriptorUrl}</code>
        </a>
        ; install it in a Jira Cloud site with development mode on (Settings → Apps → Upload app), or in the local
        host simulator.
      </p>
      <p style={{ color: 'var(--text-subtle)' }}>
        App key <code>{descriptor.key}</code>
      </p>
    </main>
  );
}
