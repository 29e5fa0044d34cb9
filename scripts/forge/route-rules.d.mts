export const MANIFEST: string;
export const OUT: string;
export class RouteRulesError extends Error {}
export interface RouteRules {
  ui: { type: string; key: string; endpoint: string }[];
  backend: Record<string, { endpoint: string; modules: string[]; eventTypes: string[] | null }>;
}
export function routeRules(manifest: unknown): RouteRules;
export function renderRouteRules(rules: RouteRules): string;
export function generatedRouteRules(root?: string): string;
