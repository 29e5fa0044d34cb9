export interface StableTunnel { url: string; name?: string; provider: 'cloudflared' | 'ngrok' }
export const PROVIDERS: Record<'cloudflared' | 'ngrok', { args: (port: string, stable?: { url: string; name?: string }) => string[]; install: string }>;
export function tunnelUrlIn(provider: 'cloudflared' | 'ngrok', line: string): string | null;
export function findExecutable(name: string, env?: NodeJS.ProcessEnv): string | null;
export function writeAppUrl(file: string, url: string): void;
export function writeEnvValues(file: string, values: Record<string, string>): void;
export function stableTunnel(flags: { url?: string; name?: string; provider?: string }, env: Record<string, string | undefined>, cwd: string): StableTunnel | null;
export class TunnelError extends Error {}
