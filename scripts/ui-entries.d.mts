export const FORGE_UI_ENTRIES: { source: string; outdir: string }[];
export const CONNECT_UI_ENTRIES: { name: string; source: string }[];
export const CONNECT_UI_OUTDIR: string;
export const CONNECT_UI_PATH: string;
export const CONNECT_UI_ASSETS_MODULE: string;
