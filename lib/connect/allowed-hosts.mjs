// The product hosts the app accepts installs from when CONNECT_ALLOWED_HOSTS is not set (lib/config.ts).
// Plain JavaScript so scripts/dev.mjs, which extends the list with the local simulator's host, runs
// without a build and never keeps a copy. Types: allowed-hosts.d.mts.

/** Atlassian's Cloud product hosts: Jira and Confluence sites, and their development counterparts. */
export const DEFAULT_ALLOWED_HOSTS = ['*.atlassian.net', '*.atlassian-dev.net', '*.jira.com', '*.jira-dev.com'];
