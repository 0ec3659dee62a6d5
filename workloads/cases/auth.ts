/**
 * Who is calling, and may they do this? Both answered by the Kubernetes API server:
 *
 * - Authentication: a bearer token checked with a TokenReview. Any token the cluster accepts works:
 *   service-account tokens, and OIDC id tokens when the API server is configured with an OIDC issuer,
 *   so a lender with single sign-on on the cluster gets it here without a second identity provider.
 * - Authorisation: a SubjectAccessReview per action on a verb of the `cases` resource in the
 *   platform's API group and the pipeline's namespace (model.ts: get, list, update, assign, resolve),
 *   so `analyst` and `lead` roles are ordinary RBAC Roles, audited and revoked like any other.
 *
 * Why not OIDC in the service itself: it would need its own client registration, redirect handling,
 * session cookies (and with them CSRF defences) and a second place to manage who is an analyst. The
 * service's own ServiceAccount needs `create` on tokenreviews and subjectaccessreviews (the
 * `system:auth-delegator` ClusterRole) and nothing else.
 *
 * Answers are cached briefly (default 30 s, keyed by a hash of the token): a revoked role stops
 * working within that time. An API server that cannot be reached gives 503, never an open door.
 */
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { CaseVerb } from './model.ts';

/** The API group of the platform's resources (the CreditPipeline's group). */
export const CASES_API_GROUP = 'creditplatform.dev';
export const CASES_RESOURCE = 'cases';

export interface Identity {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export class AuthUnavailableError extends Error {
  override name = 'AuthUnavailableError';
}

export interface Authenticator {
  /** The identity behind a bearer token, or null when the API server does not accept it. */
  authenticate(token: string): Promise<Identity | null>;
  /** Whether `who` may use `verb` on cases in the configured namespace. */
  authorize(who: Identity, verb: CaseVerb): Promise<boolean>;
}

interface CacheEntry<T> {
  value: T;
  expires: number;
}

class TtlCache<T> {
  private readonly map = new Map<string, CacheEntry<T>>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}
  get(key: string): T | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.expires < Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: T): void {
    if (this.ttlMs <= 0) return;
    if (this.map.size >= this.maxEntries) this.map.clear();
    this.map.set(key, { value, expires: Date.now() + this.ttlMs });
  }
}

export function kubernetesAuthenticator(
  kc: KubeConfig,
  options: { namespace: string; cacheTtlMs?: number; audiences?: string[] },
): Authenticator {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const ttl = options.cacheTtlMs ?? 30_000;
  const tokens = new TtlCache<Identity | null>(ttl);
  const decisions = new TtlCache<boolean>(ttl);
  return {
    async authenticate(token) {
      const key = createHash('sha256').update(token).digest('hex');
      const cached = tokens.get(key);
      if (cached !== undefined) return cached;
      let review: Awaited<ReturnType<typeof authn.createTokenReview>>;
      try {
        review = await authn.createTokenReview({
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, ...(options.audiences === undefined ? {} : { audiences: options.audiences }) },
          },
        });
      } catch (err) {
        throw new AuthUnavailableError(`TokenReview failed: ${(err as Error).message.split('\n')[0]}`);
      }
      const user = review.status?.user;
      const identity: Identity | null =
        review.status?.authenticated === true && user?.username !== undefined
          ? {
              username: user.username,
              uid: user.uid ?? '',
              groups: user.groups ?? [],
              extra: (user.extra ?? {}) as Record<string, string[]>,
            }
          : null;
      tokens.set(key, identity);
      return identity;
    },
    async authorize(who, verb) {
      const key = `${who.uid}|${who.username}|${who.groups.join(',')}|${verb}`;
      const cached = decisions.get(key);
      if (cached !== undefined) return cached;
      let review: Awaited<ReturnType<typeof authz.createSubjectAccessReview>>;
      try {
        review = await authz.createSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: who.username,
              uid: who.uid,
              groups: who.groups,
              extra: who.extra,
              resourceAttributes: {
                group: CASES_API_GROUP,
                resource: CASES_RESOURCE,
                verb,
                namespace: options.namespace,
              },
            },
          },
        });
      } catch (err) {
        throw new AuthUnavailableError(
          `SubjectAccessReview failed: ${(err as Error).message.split('\n')[0]}`,
        );
      }
      const allowed = review.status?.allowed === true && review.status.denied !== true;
      decisions.set(key, allowed);
      return allowed;
    },
  };
}

/** The bearer token of a request, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,8192})\s*$/.exec(header);
  return m === null ? null : (m[1] as string);
}
