/** Host patterns (`*.atlassian.net`, …) accepted when CONNECT_ALLOWED_HOSTS is not set. */
export const DEFAULT_ALLOWED_HOSTS: string[];
