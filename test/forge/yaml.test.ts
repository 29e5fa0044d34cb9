import YAML from 'yaml';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toYaml } from '@/lib/forge/yaml';

describe('YAML emitter', () => {
  it('writes block mappings and sequences with two-space indents, in insertion order', () => {
    expect(toYaml({ b: 1, a: { list: ['x', { key: 'k', size: 2 }], empty: [], none: {} } })).toBe(
      ['b: 1', 'a:', '  list:', '    - x', '    - key: k', '      size: 2', '  empty: []', '  none: {}', ''].join('\n'),
    );
  });

  it('leaves unambiguous strings plain, as Atlassian’s examples write them', () => {
    expect(toYaml({ 'jira:webPanels': [{ key: 'issue-notes', url: '/connect/overview', id: 'ari:cloud:ecosystem::app/1', baseUrl: 'https://x.example.com' }] })).toBe(
      ['jira:webPanels:', '  - key: issue-notes', '    url: /connect/overview', '    id: ari:cloud:ecosystem::app/1', '    baseUrl: https://x.example.com', ''].join('\n'),
    );
  });

  it.each([
    'true', 'no', 'Yes', 'off', 'null', 'y', '~', '', '1.0', '42', '0x1F', '-1', '.5',
    'has space', 'ends with colon:', 'key: value', 'a #comment', '#x', '*alias', '&anchor', '!tag', '- item', '[x]', '{x}', '"q"', "'q'", '@at', '`tick`', '%percent', '|', '>',
    '/p?issueKey={issue.key}&projectKey={project.key}', 'multi\nline', 'tab\there', 'émoji ✓', '\u0000nul', '  padded  ',
  ])('round-trips the string %j', (s) => {
    expect(YAML.parse(toYaml({ value: s, list: [s] }))).toEqual({ value: s, list: [s] });
  });

  it('round-trips numbers, booleans and null as themselves', () => {
    const data = { n: 0, f: 1.5, neg: -3, t: true, fa: false, nil: null };
    expect(YAML.parse(toYaml(data))).toEqual(data);
  });

  it('round-trips nested lists', () => {
    const data = { matrix: [[1, 2], [], [['deep']]], objects: [{ a: [{ b: {} }] }] };
    expect(YAML.parse(toYaml(data))).toEqual(data);
  });

  it('round-trips any JSON data', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
    })).object;
    fc.assert(fc.property(json, (data) => {
      expect(YAML.parse(toYaml(data))).toEqual(data);
    }), { numRuns: 300 });
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => toYaml({ n: Number.NaN })).toThrow(TypeError);
    expect(() => toYaml({ d: new Date(0) })).toThrow(TypeError);
  });
});
