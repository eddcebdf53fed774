export { installStrictCurveVerify } from './strict-curve-verify.js';
export { trustServerRootKey } from './server-root-key.js';
export { installServerCertChecks, CERT_CLOCK_SKEW_S } from './server-cert-checks.js';
export { MEDIA_TLS_CERT_PEM } from './media-tls-cert.js';
