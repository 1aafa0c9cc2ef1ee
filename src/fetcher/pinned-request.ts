import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.ts';
import type { Deadline } from './deadline.ts';
import { timeoutFailure, transportFailure } from './failure-mapping.ts';
import { type FetchFailure, fetchFailure } from './fetch-result.ts';
import type { ResolvedAddress, Resolver } from './resolver.ts';
import type { AcceptedUrl } from './url-rules.ts';

export interface HopContext {
  readonly resolver: Resolver;
  readonly policy: AddressPolicy;
  readonly deadline: Deadline;
  /** Trusted roots for TLS; undefined means the system's. */
  readonly ca?: readonly string[] | undefined;
}

export interface HopRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | undefined;
}

export type CheckedAddresses =
  | { readonly ok: true; readonly addresses: readonly ResolvedAddress[] }
  | FetchFailure;

/** Resolves the URL's host once and holds every answer to the policy: one refused answer refuses the host. */
export async function resolveAndCheck(target: AcceptedUrl, context: HopContext): Promise<CheckedAddresses> {
  const { host } = target;
  if (host.kind === 'ip') {
    const verdict = context.policy.check(host.address);
    if (!verdict.allowed) {
      return fetchFailure('blocked', `${host.address} is not a public address (${label(verdict.category)})`, {
        detail: verdict.detail,
      });
    }
    return { ok: true, addresses: [{ address: host.address, family: isIP(host.address) }] };
  }
  let answers: readonly ResolvedAddress[];
  try {
    answers = await context.deadline.race(context.resolver(host.name));
  } catch (error) {
    if (context.deadline.expired) return timeoutFailure(context.deadline);
    return fetchFailure('dns_failed', `could not resolve ${host.name}`, {
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  if (answers.length === 0) return fetchFailure('dns_failed', `${host.name} has no addresses`);
  for (const answer of answers) {
    const verdict = context.policy.check(answer.address);
    if (!verdict.allowed) {
      // The message leaves out the address: DNS supplied it, and it may describe the internal network.
      return fetchFailure('blocked', `${host.name} resolves to a non-public address`, {
        detail: `${host.name} → ${verdict.detail}`,
      });
    }
  }
  // Family from the address itself, not from what the resolver claimed.
  return { ok: true, addresses: answers.map(({ address }) => ({ address, family: isIP(address) })) };
}

export type HopResponse = { readonly ok: true; readonly response: IncomingMessage } | FetchFailure;

/** One request to one URL, without following redirects. */
export async function requestHop(
  target: AcceptedUrl,
  request: HopRequest,
  context: HopContext,
): Promise<HopResponse> {
  // Every outbound connection of the fetcher is opened here and nowhere else: the addresses are
  // resolved and checked right here, and the socket can only connect to those checked addresses
  // (pinned lookup, no second DNS query), so no request can skip the check and DNS rebinding
  // cannot switch the address between check and connect.
  const checked = await resolveAndCheck(target, context);
  if (!checked.ok) return checked;
  try {
    const response = await send(target.url, checked.addresses, request, context.deadline.signal, context.ca);
    return { ok: true, response };
  } catch (error) {
    return transportFailure(error, context.deadline);
  }
}

function send(
  url: URL,
  addresses: readonly ResolvedAddress[],
  request: HopRequest,
  signal: AbortSignal,
  ca: readonly string[] | undefined,
): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = client.request(
      {
        protocol: url.protocol,
        // The name stays the request's host, so Host, TLS SNI and certificate checks use it.
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: request.headers,
        lookup: pinnedLookup(addresses),
        // A fresh agent per request: a pooled socket would be keyed by name, not by checked address.
        agent: false,
        signal,
        ...(ca ? { ca: [...ca] } : {}),
      },
      resolve,
    );
    // Stays attached after the response: later socket errors reach the body reader through the response.
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** A lookup that answers with the already-checked addresses and never asks DNS. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      callback(
        null,
        addresses.map(({ address, family }) => ({ address, family })),
      );
      return;
    }
    const [first] = addresses;
    if (!first) {
      callback(Object.assign(new Error('no checked address'), { code: 'ENOTFOUND' }), '', 0);
      return;
    }
    callback(null, first.address, first.family);
  };
}

const label = (category: string): string => category.replaceAll('_', ' ');
