export const CUSTOM_UI_SANDBOX: string;
export const CUSTOM_UI_ALLOW: string;
export function customUiCsp(input: {
  html: string;
  permissions?: { content?: { scripts?: string[]; styles?: string[] }; external?: Record<string, unknown> };
  site: string;
}): string;
