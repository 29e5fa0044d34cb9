/**
 * CPU per notes read in one process, without Next.js or HTTP: the notes API's query (`listForIssue`, 10 notes)
 * through Prisma, and the same SELECT through `$queryRaw`, on SQLite and PostgreSQL (the server at
 * TEST_DATABASE_URL), sequentially, after a warm-up.
 *
 *   npx vitest run --config bench/measure.config.mts bench/notes-read.measure.ts
 *
 * Prints one JSON line per database: µs of this process's CPU per read (user + system, all threads). A
 * measurement, not a timing assertion; docs/performance.md compares it with the same read inside the loaded
 * server, where it costs about three times as much.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createNotesStore } from '@/lib/notes/store';
import { createSiteStore } from '@/lib/sites/store';
import { createTestDatabase, DIALECTS } from '../test/helpers/db';

const READS = 4000;

async function cpuMicrosPerCall(read: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 1000; i++) await read();
  const before = process.cpuUsage();
  for (let i = 0; i < READS; i++) await read();
  const used = process.cpuUsage(before);
  return Math.round((used.user + used.system) / READS);
}

for (const dialect of DIALECTS) {
  it(`reads an issue's 10 notes [${dialect}]`, async () => {
    const database = await createTestDatabase(dialect, 'measure-read');
    try {
      const { db } = database;
      const claims = { installationId: `ari:cloud:ecosystem::installation/${randomUUID()}`, cloudId: randomUUID(), siteUrl: 'https://m.atlassian.net' };
      const { siteId } = await createSiteStore(db).resolveForgeInstallation(claims);
      const notes = createNotesStore(db);
      for (let i = 0; i < 10; i++) await notes.create(siteId, { issueKey: 'BENCH-42', projectKey: 'BENCH', authorAccountId: 'a', text: `Note ${i}: ${'lorem ipsum '.repeat(8)}` });
      const store = () => notes.listForIssue(siteId, 'BENCH-42');
      const raw = () => db.$queryRaw<unknown[]>`SELECT "id", "siteId", "issueKey", "projectKey", "authorAccountId", "text", "createdAt" FROM "Note"
        WHERE "siteId" = ${siteId} AND "issueKey" = ${'BENCH-42'} ORDER BY "createdAt" DESC, "id" DESC LIMIT ${100}`;
      expect((await store()).length).toBe(10);
      expect((await raw()).length).toBe(10);
      // Twice each, alternating, so neither gets the JIT's warm-up alone.
      const figures = { prisma_us: [] as number[], queryRaw_us: [] as number[] };
      for (let round = 0; round < 2; round++) {
        figures.prisma_us.push(await cpuMicrosPerCall(store));
        figures.queryRaw_us.push(await cpuMicrosPerCall(raw));
      }
      console.log(JSON.stringify({ dialect, reads: READS, ...figures }));
    } finally {
      await database.dispose();
    }
  });
}
