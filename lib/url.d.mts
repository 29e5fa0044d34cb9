/** `localhost`, `[::1]` or 127.0.0.0/8. */
export function isLoopbackHost(hostname: string): boolean;

/** https, or plain http on a loopback host. */
export function isHttpsOrLoopbackHttp(url: URL): boolean;

/** `text` without trailing slashes. */
export function stripTrailingSlashes(text: string): string;
