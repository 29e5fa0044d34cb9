/** Connect app keys: letters, digits, `-`, `.` and `_`, at most 64 characters. */
export const APP_KEY_PATTERN: RegExp;
