/**
 * Product → app HTTP calls (lifecycle callbacks and webhooks): a signed JSON POST with a timeout, its
 * outcome recorded in the exchange log with the token's claims and the app's answer.
 */
import { stripTrailingSlashes } from '../../lib/url.mjs';
import { redactPayload } from './exchange-log.mjs';

/** Atlassian gives apps a few seconds; the simulator is patient with a dev server compiling a route. */
const TIMEOUT_MS = 15_000;
const MAX_ANSWER_CHARS = 500;

/**
 * @param {import('./simulator.mjs').Simulator} sim
 * @param {{ site: string, kind: string, url: string, token: string, body: Record<string, unknown>,
 *   headers?: Record<string, string>, note: string }} call
 * @returns {Promise<{ status: number | null, answer: string }>} status null: no answer (refused, timed out)
 */
export async function postToApp(sim, { site, kind, url, token, body, headers = {}, note }) {
  let status = null;
  let answer = '';
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `JWT ${token}`, ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
    status = response.status;
    answer = (await response.text()).slice(0, MAX_ANSWER_CHARS);
  } catch (err) {
    answer = noAnswerReason(err, TIMEOUT_MS);
  }
  sim.log.add({
    site,
    direction: 'product→app',
    kind,
    method: 'POST',
    url,
    status,
    note: isSuccess(status) ? note : `${note} — ${answer || 'failed'}`,
    token,
    details: { headers: Object.keys(headers).length ? headers : undefined, body: redactPayload(body), answer: answer || undefined },
  });
  return { status, answer };
}

/**
 * Why a call to the app got no answer, for the exchange log: a timeout, or the connection's own error.
 * @param {unknown} err what fetch threw @param {number} timeoutMs the call's timeout
 */
export function noAnswerReason(err, timeoutMs) {
  const e = /** @type {Error & { cause?: Error }} */ (err);
  return e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : `could not connect: ${e.cause?.message ?? e.message}`;
}

/** @param {number | null} status */
export function isSuccess(status) {
  return status !== null && status >= 200 && status < 300;
}

/**
 * The absolute URL of a path declared in the descriptor, on the app's baseUrl (path included).
 * @param {Record<string, any>} descriptor @param {string} path
 */
export function appUrl(descriptor, path) {
  return `${stripTrailingSlashes(String(descriptor.baseUrl))}${path}`;
}
