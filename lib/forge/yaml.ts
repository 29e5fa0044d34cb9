/**
 * A small YAML emitter for manifest.yml: block mappings and sequences of plain JSON data, two-space indents,
 * keys in insertion order, so the same manifest always serialises to the same bytes (the expected fixture
 * is compared byte for byte). Strings stay plain only when unambiguous; everything else is double-quoted
 * JSON, which is valid YAML. The tests parse the output with the `yaml` package to prove the round trip.
 */

/** Serialises JSON-like data (objects, arrays, strings, finite numbers, booleans, null) as a YAML document. */
export function toYaml(value: unknown): string {
  if (isCollection(value) && !isEmpty(value)) return (Array.isArray(value) ? sequence(value, 0) : mapping(value, 0)).join('\n') + '\n';
  return scalar(value) + '\n';
}

// A plain scalar that every YAML 1.1 and 1.2 parser reads back as the same string: starts with a letter,
// `_` or `/`; no spaces, flow indicators or comment marks; no trailing `:`; not a boolean or null word.
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:-]*$/;
const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null)$/i;

function mapping(object: Record<string, unknown>, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    if (isCollection(value) && !isEmpty(value)) {
      lines.push(`${pad}${string(key)}:`);
      lines.push(...(Array.isArray(value) ? sequence(value, indent + 2) : mapping(value, indent + 2)));
    } else {
      lines.push(`${pad}${string(key)}: ${scalar(value)}`);
    }
  }
  return lines;
}

function sequence(items: unknown[], indent: number): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const item of items) {
    if (isCollection(item) && !isEmpty(item)) {
      // The item's first line shares the `- ` marker; the rest line up under it.
      const nested = Array.isArray(item) ? sequence(item, indent + 2) : mapping(item, indent + 2);
      lines.push(`${pad}- ${nested[0].slice(indent + 2)}`, ...nested.slice(1));
    } else {
      lines.push(`${pad}- ${scalar(item)}`);
    }
  }
  return lines;
}

function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('YAML output only takes finite numbers.');
    return String(value);
  }
  if (typeof value === 'string') return string(value);
  if (Array.isArray(value)) return '[]';
  if (isCollection(value)) return '{}';
  throw new TypeError(`YAML output only takes JSON data, not ${typeof value}.`);
}

function string(s: string): string {
  return PLAIN.test(s) && !s.endsWith(':') && !RESERVED.test(s) ? s : JSON.stringify(s);
}

function isCollection(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

function isEmpty(v: Record<string, unknown> | unknown[]): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.values(v).every((x) => x === undefined);
}
