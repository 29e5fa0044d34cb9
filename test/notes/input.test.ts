/** Issue keys and note bodies, as the API validates them. */
import { describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { isIssueKey, isProjectKey, projectKeyOf } from '@/lib/notes/issue-key';
import { assertIssueInContext, contextIssueKey } from '@/lib/notes/issue-context';
import { MAX_NOTE_CHARS, parseNoteInput } from '@/lib/notes/note-input';
import { issueContext } from './helpers';

describe('issue keys', () => {
  it.each(['NOTE-1', 'A-1', 'A_B-22', 'X9-1234567', 'NOTE_-3'])('accepts %s', (key) => {
    expect(isIssueKey(key)).toBe(true);
  });

  it.each(['note-1', 'Note-1', 'NOTE-01', 'NOTE-0', 'NOTE--1', '_NOTE-1', '9NOTE-1', 'NOTE', 'NOTE-', '-1', 'NO-TE-1', 'NOTE-1\n', 'NÖTE-1', `${'A'.repeat(127)}-1`])(
    'refuses %j',
    (key) => {
      expect(isIssueKey(key)).toBe(false);
    },
  );

  it('refuses what is not a string', () => {
    expect(isIssueKey(1)).toBe(false);
    expect(isIssueKey(null)).toBe(false);
    expect(isProjectKey({})).toBe(false);
  });

  it('takes the project key from the issue key', () => {
    expect(projectKeyOf('A_B2-10')).toBe('A_B2');
  });
});

describe('note bodies', () => {
  it('trims the text and derives the project', () => {
    expect(parseNoteInput({ issueKey: 'NOTE-1', text: '\n hi \t' })).toEqual({ issueKey: 'NOTE-1', projectKey: 'NOTE', text: 'hi' });
  });

  it('counts the limit after trimming', () => {
    expect(parseNoteInput({ issueKey: 'NOTE-1', text: `  ${'x'.repeat(MAX_NOTE_CHARS)}  ` }).text).toHaveLength(MAX_NOTE_CHARS);
  });

  it('names the field in its error, never the value', () => {
    const err = (() => {
      try {
        parseNoteInput({ issueKey: '<script>alert(1)</script>', text: 'x' });
      } catch (e) {
        return e as ConnectError;
      }
    })()!;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/^issueKey /);
    expect(err.message).not.toContain('script');
  });
});

describe('the issue in a context token', () => {
  it('reads context.jira.issue.key, and nothing from a general page’s context', () => {
    expect(contextIssueKey(issueContext('NOTE-4'))).toBe('NOTE-4');
    expect(contextIssueKey({ license: { active: true } })).toBeUndefined();
    expect(contextIssueKey(undefined)).toBeUndefined();
    expect(contextIssueKey({ jira: { issue: { key: 42 } } })).toBeUndefined();
  });

  it('binds an issue’s token to that issue only', () => {
    expect(() => assertIssueInContext(issueContext('NOTE-4'), 'NOTE-4')).not.toThrow();
    expect(() => assertIssueInContext(issueContext('NOTE-4'), 'NOTE-5')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => assertIssueInContext(issueContext('NOTE-4'), undefined)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => assertIssueInContext({}, 'ANY-1')).not.toThrow();
  });
});
