export function forgeAppId(manifestPath: string): string;
