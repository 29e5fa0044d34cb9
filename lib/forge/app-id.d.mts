/** `ari:cloud:ecosystem::app/<uuid>`. */
export const FORGE_APP_ID_PATTERN: RegExp;
