/**
 * lib/ui/feature-gates-off.ts stands in for Atlassian's Statsig client in the browser builds. It must answer
 * what the real client answers in an app's iframe, where nobody initialises it: held here against the real
 * package, for the gates the shipped Atlaskit button reads.
 */
import RealFeatureGates from '@atlaskit/feature-gate-js-client/feature-gates';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import FeatureGates from '@/lib/ui/feature-gates-off';
import { FEATURE_GATES_ALIAS } from '../../scripts/ui-build.mjs';

const root = path.resolve(import.meta.dirname, '../..');

/** Every `fg('…')` the installed @atlaskit/button reads: the flags its look depends on. */
function buttonGates(): string[] {
  const dir = path.join(root, 'node_modules/@atlaskit/button/dist/esm/new-button/variants');
  const files = ['shared/icon-renderer.js', 'shared/button-base.js', 'filter/button.js'].map((f) => readFileSync(path.join(dir, f), 'utf8'));
  return [...new Set(files.flatMap((src) => [...src.matchAll(/fg\('([^']+)'\)/g)].map((m) => m[1])))];
}

describe('feature gates in an app iframe', () => {
  it('the button reads some gates (else this test checks nothing)', () => {
    expect(buttonGates().length).toBeGreaterThan(0);
  });

  it('every gate the button reads is off, as on the real uninitialised client', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      for (const gate of buttonGates()) {
        expect(RealFeatureGates.checkGate(gate)).toBe(false);
        expect(FeatureGates.checkGate(gate)).toBe(false);
      }
    } finally {
      warn.mockRestore();
    }
  });

  it('an experiment answers its default, as on the real uninitialised client', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(RealFeatureGates.getExperimentValue('some_experiment', 'variant', 'control')).toBe('control');
      expect(FeatureGates.getExperimentValue('some_experiment', 'variant', 'control')).toBe('control');
    } finally {
      warn.mockRestore();
    }
  });

  it('the browser build of both doors puts it in place of the Statsig client', () => {
    expect(FEATURE_GATES_ALIAS).toEqual({ '@atlaskit/feature-gate-js-client/feature-gates': 'lib/ui/feature-gates-off.ts' });
  });
});
