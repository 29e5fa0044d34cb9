/** The trimmed value of `env[name]`, or undefined when it is unset or blank. */
export function envValue(env: Record<string, string | undefined>, name: string): string | undefined;
