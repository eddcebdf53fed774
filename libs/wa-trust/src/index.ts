export { installStrictCurveVerify } from './strict-curve-verify.js';
export { trustServerRootKey } from './server-root-key.js';
export { MEDIA_TLS_CERT_PEM } from './media-tls-cert.js';
