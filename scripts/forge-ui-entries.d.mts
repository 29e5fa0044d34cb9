export const FORGE_UI_ENTRIES: { source: string; outdir: string }[];
