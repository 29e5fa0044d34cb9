import { describe, expect, it } from 'vitest';
import template from '@/atlassian-connect.json';
import { DescriptorError, descriptorProblems, renderDescriptor } from '@/lib/connect/descriptor';

describe('descriptor', () => {
  it('the committed template is valid', () => {
    expect(descriptorProblems(template)).toEqual([]);
  });

  it('serves the configured base URL, never the template’s placeholder', () => {
    expect(renderDescriptor('https://abc.trycloudflare.com').baseUrl).toBe('https://abc.trycloudflare.com');
  });

  it('declares JWT authentication, both security migrations and all four lifecycle callbacks', () => {
    const d = renderDescriptor('https://x.example.com');
    expect(d.authentication).toEqual({ type: 'jwt' });
    expect(d.apiMigrations).toEqual({ 'context-qsh': true, 'signed-install': true });
    expect(Object.keys(d.lifecycle ?? {}).sort()).toEqual(['disabled', 'enabled', 'installed', 'uninstalled']);
  });

  it('asks for no scope beyond what the sample uses', () => {
    expect(renderDescriptor('https://x.example.com').scopes).toEqual(['READ', 'ACT_AS_USER']);
  });

  it.each([
    ['a missing key', { ...template, key: undefined }, '"key"'],
    ['an invalid key', { ...template, key: 'has spaces' }, '"key"'],
    ['a key over 64 characters', { ...template, key: 'k'.repeat(65) }, '"key"'],
    ['no context-qsh migration', { ...template, apiMigrations: { 'signed-install': true } }, 'context-qsh'],
    ['no signed-install migration', { ...template, apiMigrations: { 'context-qsh': true } }, 'signed-install'],
    ['a missing lifecycle URL', { ...template, lifecycle: { installed: '/i' } }, 'lifecycle.uninstalled'],
    ['non-JWT authentication', { ...template, authentication: { type: 'none' } }, 'authentication'],
    ['not an object', [], 'JSON object'],
  ])('rejects a template with %s, saying what is wrong', (_, source, expected) => {
    expect(() => renderDescriptor('https://x.example.com', source)).toThrow(DescriptorError);
    expect(() => renderDescriptor('https://x.example.com', source)).toThrow(expected);
  });
});
