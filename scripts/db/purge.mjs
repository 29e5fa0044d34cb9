/**
 * `npm run db:purge`: deletes webhook deliveries older than the retention (a week; see
 * lib/webhooks/deliveries.ts) from DATABASE_URL. Run it daily from a scheduler (cron, a platform's scheduled
 * job); the request path never purges. Safe to run at any time and concurrently with the app.
 *
 *   npm run db:purge                 # the retention
 *   npm run db:purge -- --days 30    # keep 30 days instead
 *
 * Node 20 cannot run TypeScript, so this first registers the loader scripts/forge-manifest.mjs uses, which
 * compiles the project's .ts files with its own TypeScript.
 */
import { register } from 'node:module';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

if (existsSync('.env')) process.loadEnvFile('.env');
register('../forge-manifest-loader.mjs', import.meta.url);

const { values } = parseArgs({ options: { days: { type: 'string' } } });
const { purgeWebhookDeliveries, WEBHOOK_DELIVERY_RETENTION_MS } = await import('../../lib/webhooks/deliveries.ts');
const { getDb } = await import('../../lib/db/client.ts');

const days = values.days === undefined ? WEBHOOK_DELIVERY_RETENTION_MS / 86_400_000 : Number(values.days);
if (!Number.isFinite(days) || days < 0) {
  console.error('--days must be a non-negative number of days.');
  process.exit(2);
}
const olderThan = new Date(Date.now() - days * 86_400_000);
try {
  const removed = await purgeWebhookDeliveries(olderThan);
  console.log(`Deleted ${removed} webhook deliveries received before ${olderThan.toISOString()}.`);
} catch (err) {
  // The message names tables, never the URL (it may hold a password).
  console.error(`Purge failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await getDb().$disconnect();
}
