export const FEATURE_GATES_ALIAS: Record<string, string>;
export interface Size { bytes: number; gzipBytes: number }
export interface BuiltPage { door: 'forge' | 'connect'; name: string; script: string; js: Size; css: Size; lazyJs: Size }
export function buildUi(options?: { dev?: boolean; watch?: boolean }): Promise<BuiltPage[]>;
