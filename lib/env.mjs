// Reading one environment variable, the same way in the app (lib/config.ts, lib/forge/config.ts), the
// scripts and the simulator. Plain JavaScript so the scripts share it without a build. Types: env.d.mts.

/**
 * The variable's value without surrounding white space, or undefined when it is unset or blank: a value
 * pasted with a trailing newline, or `X=` in a .env file, means "not set", never "set to nothing".
 *
 * @example envValue({ APP_URL: ' https://notes.example.com\n' }, 'APP_URL') // 'https://notes.example.com'
 */
export function envValue(env, name) {
  const v = env[name]?.trim();
  return v ? v : undefined;
}
