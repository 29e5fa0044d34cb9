// The simulator (host/) is plain JavaScript with JSDoc, outside the TypeScript build (allowJs is off);
// these declarations let its tests import it. Its own types are in the JSDoc.
declare module '*/host/lib/config.mjs';
declare module '*/host/lib/descriptor.mjs';
declare module '*/host/lib/exchange-log.mjs';
declare module '*/host/lib/iframe.mjs';
declare module '*/host/lib/oauth.mjs';
declare module '*/host/lib/simulator.mjs';
declare module '*/host/lib/tokens.mjs';
declare module '*/host/lib/verify.mjs';
declare module '*/host/lib/webhooks.mjs';
declare module '*/host/lib/lifecycle.mjs';
declare module '*/host/pages/html.mjs';
declare module '*/host/lib/forge.mjs';
declare module '*/host/lib/forge-manifest.mjs';
declare module '*/host/lib/forge-api.mjs';
declare module '*/host/lib/server.mjs';
declare module '*/host/lib/privacy.mjs';
