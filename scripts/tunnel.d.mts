export const PROVIDERS: Record<'cloudflared' | 'ngrok', { args: (port: string) => string[]; install: string }>;
export function tunnelUrlIn(provider: 'cloudflared' | 'ngrok', line: string): string | null;
export function findExecutable(name: string, env?: NodeJS.ProcessEnv): string | null;
export function writeAppUrl(file: string, url: string): void;
