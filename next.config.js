// @ts-check

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and driver packages load at run time from node_modules instead of being bundled.
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg', 'pg'],
  poweredByHeader: false,
};

module.exports = nextConfig;
