// Generated from forge/manifest.yml by scripts/forge/route-rules.mjs (npm run forge:rules). Do not edit by hand:
// test/forge/route-rules.test.ts and `npm run build` fail when this file and the manifest disagree.

/** The UI modules whose `resolver.endpoint` is a UI endpoint: the only FITs the UI API routes accept. */
export const FORGE_UI_MODULES = [
  {
    "type": "jira:issuePanel",
    "key": "issue-notes-forge",
    "endpoint": "notes-ui"
  },
  {
    "type": "jira:globalPage",
    "key": "notes-overview-forge",
    "endpoint": "notes-ui"
  }
] as const;

/**
 * The backend routes (an endpoint's `route.path`): the one `core:endpoint` module key Forge signs for them,
 * the modules that send there, and the event types their triggers list (null: not a trigger endpoint).
 */
export const FORGE_BACKEND_ROUTES = {
  "/api/forge/events": {
    "endpoint": "forge-events",
    "modules": [
      "trigger:lifecycle-events",
      "trigger:issue-events"
    ],
    "eventTypes": [
      "avi:forge:installed:app",
      "avi:forge:upgraded:app",
      "avi:jira:deleted:issue",
      "avi:jira:updated:issue"
    ]
  },
  "/api/forge/privacy-report": {
    "endpoint": "forge-privacy-report",
    "modules": [
      "scheduledTrigger:privacy-report"
    ],
    "eventTypes": null
  },
  "/api/forge/uninstall": {
    "endpoint": "forge-uninstall",
    "modules": [
      "preUninstall:pre-uninstall"
    ],
    "eventTypes": null
  }
} as const;
