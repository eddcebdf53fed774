export {
  blockedCategory,
  blockedUrlMessage,
  createSsrfGuard,
  isBlockedAddress,
  type BlockedCategory,
  type SsrfGuard,
  type SsrfGuardOptions,
} from './ssrf-guard.js';
export { createHostResolver, type HostResolver, type HostResolverOptions } from './host-resolver.js';
export { parseHostList } from './allowed-hosts.js';
export {
  createBoundedFetcher,
  mediaTypeOf,
  type BoundedFetcher,
  type BoundedFetcherOptions,
  type FetchFailureReason,
  type FetchOptions,
  type FetchResult,
} from './bounded-fetch.js';
