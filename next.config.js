// @ts-check

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and driver packages load at run time from node_modules instead of being bundled.
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg', 'pg'],
  poweredByHeader: false,
  // The end-to-end suite and the benchmark build into their own folder so they never clobber `next dev`.
  distDir: process.env.NEXT_DIST_DIR || '.next',
};

module.exports = nextConfig;
