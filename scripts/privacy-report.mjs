/**
 * `npm run privacy:report`: one run of Atlassian's personal data reporting for a plain server (cron, a
 * systemd timer, a Kubernetes CronJob). Run it daily, or more often: each site still reports at most once
 * per its cycle (7 days by default), and a run that stops part-way resumes from the database next time.
 * The Vercel deployment uses app/api/cron/privacy-report instead; Forge-only sites report from their
 * scheduled trigger (lib/privacy/forge-trigger.ts).
 *
 *   npm run privacy:report              one bounded run (50 sites, 50 s)
 *   npm run privacy:report -- --all     repeat until no due site is left (a backlog after downtime)
 *
 * Prints counts and outcomes (never an accountId); exits 1 when a site's report failed.
 * The code is TypeScript (lib/privacy/run.ts); jiti runs it without a build, as scripts/db/rotate-key.mjs does.
 */
import { existsSync } from 'node:fs';
import { createJiti } from 'jiti';

if (existsSync('.env')) process.loadEnvFile('.env');

const jiti = createJiti(import.meta.url);
const { getDb } = await jiti.import('../lib/db/client.ts');
const { privacyRunDeps, runPrivacyReports } = await jiti.import('../lib/privacy/run.ts');

const all = process.argv.includes('--all');
let failed = 0;
try {
  for (let round = 1; ; round++) {
    const summary = await runPrivacyReports(privacyRunDeps());
    failed += summary.outcomes.failed ?? 0;
    console.log(`Round ${round}: ${summary.sites} site(s), ${summary.batches} request(s), ${summary.reported} account(s) reported, ${summary.closed} closed, ${summary.updated} updated, ${summary.notesErased} note(s) erased; ${JSON.stringify(summary.outcomes)}.`);
    if (!all || !summary.truncated) break;
  }
  if (failed) process.exitCode = 1;
} catch (err) {
  console.error(`Personal data reporting failed: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`);
  process.exitCode = 1;
} finally {
  await getDb().$disconnect();
}
