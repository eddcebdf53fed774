export { createSsrfGuard, isBlockedAddress, type SsrfGuard } from './ssrf-guard.js';
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
