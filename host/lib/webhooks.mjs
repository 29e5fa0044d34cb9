/**
 * Webhooks as Jira Cloud delivers them to Connect apps: a JSON POST to the URL the descriptor declares,
 * signed like any product → app request (HS256, iss = clientKey, qsh for POST <url>), with
 *   X-Atlassian-Webhook-Identifier  unique per webhook, the same on every redelivery
 *   X-Atlassian-Webhook-Retry       on redeliveries only: how many retries this is (1, 2, ...)
 *   X-Atlassian-Webhook-Flow        Primary (the event itself; cascades are Secondary)
 * Jira retries on 408, 409, 425, 429, 5xx and no answer, for up to about 30 minutes; here a delivery is
 * redelivered by hand.
 * https://developer.atlassian.com/cloud/jira/platform/webhooks/#retry-policy
 */
import { randomUUID } from 'node:crypto';
import { substituteContext, webhooks } from './descriptor.mjs';
import { contextVariables } from './iframe.mjs';
import { appUrl, postToApp } from './outbound.mjs';
import { issueJson, userJson } from './product-api.mjs';
import { siteBaseUrl } from './store.mjs';
import { signRequestToken } from './tokens.mjs';

/** @typedef {import('./simulator.mjs').Simulator} Simulator */
/** @typedef {import('./store.mjs').Site} Site */
/** @typedef {import('./store.mjs').Delivery} Delivery */

/** Statuses on which Jira would retry by itself. */
export const RETRIED_STATUSES = [408, 409, 425, 429];

export class WebhookError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'WebhookError';
  }
}

/**
 * Sends `event` about `issueKey` to every enabled app on the site that declares it (or only `appKey`).
 * @param {Simulator} sim @param {Site} site
 * @param {{ event: string, issueKey: string, appKey?: string, accountId?: string }} options
 * @returns {Promise<Delivery[]>}
 * @example await sendWebhook(sim, site, { event: 'jira:issue_deleted', issueKey: 'NOTE-1' })
 */
export async function sendWebhook(sim, site, { event, issueKey, appKey, accountId }) {
  const issue = site.issues.find((i) => i.key.toUpperCase() === issueKey.toUpperCase());
  if (!issue) throw new WebhookError(`There is no issue ${issueKey} on ${site.name} (it has ${site.issues.map((i) => i.key).join(', ')}).`);
  const user = site.users.find((u) => u.accountId === accountId) ?? site.users[0];
  const base = siteBaseUrl(sim.config.hostUrl, site);
  const targets = Object.values(site.installations).filter((i) => i.state === 'enabled' && (!appKey || i.appKey === appKey));
  /** @type {Delivery[]} */
  const deliveries = [];
  for (const installation of targets) {
    for (const hook of webhooks(installation.descriptor).filter((w) => w.event === event)) {
      /** @type {Delivery} */
      const delivery = {
        id: randomUUID(),
        appKey: installation.appKey,
        event,
        path: substituteContext(hook.url, contextVariables(site, issue)),
        body: webhookBody(site, base, event, issue, user),
        retry: 0,
        status: null,
        sentAt: new Date().toISOString(),
      };
      await deliver(sim, site, installation, delivery);
      sim.store.addDelivery(site, delivery);
      deliveries.push(delivery);
    }
  }
  if (!deliveries.length) {
    throw new WebhookError(`No enabled app on ${site.name}${appKey ? ` with key ${appKey}` : ''} declares the webhook ${event}.`);
  }
  return deliveries;
}

/**
 * Sends a delivery again: same identifier and body, X-Atlassian-Webhook-Retry one higher, a fresh token.
 * @param {Simulator} sim @param {Site} site @param {string} deliveryId
 */
export async function redeliver(sim, site, deliveryId) {
  const delivery = site.deliveries.find((d) => d.id === deliveryId);
  if (!delivery) throw new WebhookError(`There is no webhook delivery ${deliveryId} on ${site.name}.`);
  const installation = site.installations[delivery.appKey];
  if (installation?.state !== 'enabled') throw new WebhookError(`${delivery.appKey} is not enabled on ${site.name}.`);
  delivery.retry += 1;
  delivery.sentAt = new Date().toISOString();
  await deliver(sim, site, installation, delivery);
  sim.store.save();
  return delivery;
}

/**
 * @param {Simulator} sim @param {Site} site @param {import('./store.mjs').Installation} installation @param {Delivery} delivery
 */
async function deliver(sim, site, installation, delivery) {
  const url = appUrl(installation.descriptor, delivery.path);
  const token = signRequestToken({ clientKey: installation.clientKey, sharedSecret: installation.sharedSecret, method: 'POST', url, appBaseUrl: installation.descriptor.baseUrl });
  /** @type {Record<string, string>} */
  const headers = { 'X-Atlassian-Webhook-Identifier': delivery.id, 'X-Atlassian-Webhook-Flow': 'Primary' };
  if (delivery.retry > 0) headers['X-Atlassian-Webhook-Retry'] = String(delivery.retry);
  const { status } = await postToApp(sim, {
    site: site.name, kind: 'webhook', url, token, body: delivery.body, headers,
    note: `${delivery.event} for ${delivery.body.issue?.key ?? 'the site'}${delivery.retry ? ` (retry ${delivery.retry})` : ''}`,
  });
  delivery.status = status;
}

/**
 * Whether Jira would retry a delivery that got this answer.
 * @param {number | null} answer
 */
export function wouldRetry(answer) {
  return answer === null || answer >= 500 || RETRIED_STATUSES.includes(answer);
}

/**
 * The body of an issue webhook, as Jira sends it.
 * @param {Site} site @param {string} base @param {string} event
 * @param {import('./seed.mjs').SimIssue} issue @param {import('./seed.mjs').SimUser} user
 */
export function webhookBody(site, base, event, issue, user) {
  /** @type {Record<string, any>} */
  const body = {
    timestamp: Date.now(),
    webhookEvent: event,
    user: userJson(base, user),
    issue: issueJson(site, base, issue, 'summary,project,issuetype,status'),
  };
  if (event === 'jira:issue_updated') {
    body.issue_event_type_name = 'issue_generic';
    body.changelog = { id: String(Date.now()), items: [] };
  } else if (event === 'jira:issue_created') {
    body.issue_event_type_name = 'issue_created';
  }
  return body;
}
