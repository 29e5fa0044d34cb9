// @ts-check

/**
 * Behind a tunnel (APP_URL=https://….trycloudflare.com) the browser loads the dev server's scripts and its
 * hot-reload socket from the tunnel's host, which `next dev` refuses unless it is listed here.
 * @param {string | undefined} appUrl
 * @returns {string[]}
 */
function devOriginsFor(appUrl) {
  try {
    const { hostname } = new URL(appUrl ?? '');
    return hostname && hostname !== 'localhost' ? [hostname] : [];
  } catch {
    return [];
  }
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and driver packages load at run time from node_modules instead of being bundled.
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg', 'pg'],
  poweredByHeader: false,
  // The end-to-end suite and the benchmark build into their own folder so they never clobber `next dev`.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  allowedDevOrigins: devOriginsFor(process.env.APP_URL),
  // The dev indicator would sit on top of the app's controls inside small product iframes.
  devIndicators: false,
  // NEXT_SERVER_MINIFY=0 keeps the server bundle's function names, so CPU profiles read
  // (docs/performance.md, bench/profile-summary.mjs). Minified otherwise, as Next does by default.
  experimental: { serverMinification: process.env.NEXT_SERVER_MINIFY !== '0' },
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
        // Iframe pages get frame-ancestors for their tenant from lib/http/iframe-page.ts; nothing else may be framed.
        source: '/((?!connect/).*)',
        headers: [{ key: 'Content-Security-Policy', value: "frame-ancestors 'none'" }],
      },
      {
        // The iframe pages' bundles (npm run ui:build): every name carries its content's hash, so a browser
        // keeps them and a panel that opens again fetches only its shell.
        source: '/ui/connect/:path*',
        headers: [{ key: 'Cache-Control', value: 'public, max-age=31536000, immutable' }],
      },
    ];
  },
};

module.exports = nextConfig;
