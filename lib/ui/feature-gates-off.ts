/**
 * What `@atlaskit/feature-gate-js-client/feature-gates` answers inside this app's iframes, without its
 * Statsig client (about 120 KB minified, a third of a Custom UI bundle). The browser build of both doors
 * (scripts/ui-build.mjs, the Forge Custom UI and the Connect iframe pages) puts this module in its place.
 *
 * Why the answers are the same: Atlaskit components ask `@atlaskit/platform-feature-flags` for platform
 * flags (`fg('platform-dst-tokens-finesse')`), which falls back to `FeatureGates.checkGate` when the page set
 * no resolver. Only Atlassian's own frontends initialise that client; in an app's iframe nobody does, so the
 * real client answers false to every gate (after a console warning) and the default to every experiment.
 * test/ui/feature-gates-off.test.ts holds this module to the real, uninitialised client.
 */
const FeatureGates = {
  /** Every gate is off, as on the uninitialised client. */
  checkGate(_gateName: string, _options?: unknown): boolean {
    return false;
  },
  /** Every experiment answers its default, as on the uninitialised client. */
  getExperimentValue<T>(_experimentName: string, _parameterName: string, defaultValue: T, _options?: unknown): T {
    return defaultValue;
  },
};

export default FeatureGates;
