import { createHmac } from 'node:crypto';

/**
 * Both signature schemes of docs/api.md §3.5, computed from the stored sha256 of the API key (the key itself is never
 * stored, and both schemes are keyed by its hash, so the hash is all we need):
 * - published: `X-Aigen-Signature: v1=<hex HMAC-SHA256(key = lowercase hex sha256(api key), timestamp.event_id.body)>`
 * - Standard Webhooks: secret `whsec_<base64(raw sha256(api key))>`, `webhook-signature: v1,<base64 HMAC(id.ts.body)>`
 */
export function signatureHeaders(input: {
  keyHashHex: string;
  eventId: string;
  timestamp: number;
  body: string;
}): Record<string, string> {
  const { keyHashHex, eventId, timestamp, body } = input;
  const published = createHmac('sha256', keyHashHex).update(`${timestamp}.${eventId}.${body}`).digest('hex');
  const standard = createHmac('sha256', Buffer.from(keyHashHex, 'hex'))
    .update(`${eventId}.${timestamp}.${body}`)
    .digest('base64');
  return {
    'x-aigen-event-id': eventId,
    'x-aigen-timestamp': String(timestamp),
    'x-aigen-signature': `v1=${published}`,
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${standard}`,
  };
}
