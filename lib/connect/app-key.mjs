// The Connect app key rule, shared by the app (lib/config.ts's CONNECT_KEY, lib/connect/descriptor.ts,
// forge:deploy) and the simulator's descriptor check (host/lib/descriptor.mjs). Plain JavaScript so the
// simulator runs it without a build. Types: app-key.d.mts.

/** Connect app keys: letters, digits, `-`, `.` and `_`, at most 64 characters. */
export const APP_KEY_PATTERN = /^[a-zA-Z0-9._-]{1,64}$/;
