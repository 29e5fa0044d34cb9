// @ts-check

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and driver packages load at run time from node_modules instead of being bundled.
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg', 'pg'],
  poweredByHeader: false,
  // The end-to-end suite and the benchmark build into their own folder so they never clobber `next dev`.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          // Iframe URLs carry the page-load JWT in their query: never send it on as a Referer.
          { key: 'Referrer-Policy', value: 'no-referrer' },
        ],
      },
      {
        // Iframe pages get frame-ancestors for their tenant from proxy.ts; nothing else may be framed.
        source: '/((?!connect/).*)',
        headers: [{ key: 'Content-Security-Policy', value: "frame-ancestors 'none'" }],
      },
    ];
  },
};

module.exports = nextConfig;
