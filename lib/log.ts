/**
 * One-line JSON logs. Fields whose names suggest a credential are replaced before anything is written:
 * a safety net, not a licence to pass secrets in.
 */
type Fields = Record<string, unknown>;

const SECRET_FIELD = /secret|token|jwt|password|authorization/i;

function write(level: 'info' | 'warn' | 'error', event: string, fields: Fields): void {
  if (process.env.CONNECT_LOG === 'silent') return;
  const safe: Fields = {};
  for (const [name, value] of Object.entries(fields)) safe[name] = SECRET_FIELD.test(name) ? '[redacted]' : value;
  const line = JSON.stringify({ level, event, ...safe, time: new Date().toISOString() });
  (level === 'info' ? console.log : console.error)(line);
}

export const log = {
  info: (event: string, fields: Fields = {}) => write('info', event, fields),
  warn: (event: string, fields: Fields = {}) => write('warn', event, fields),
  error: (event: string, fields: Fields = {}) => write('error', event, fields),
};
