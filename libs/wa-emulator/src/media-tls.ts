// Fixed, public, self-signed TLS identity of the emulator's media upload host. The certificate lives in
// @wahooks/wa-trust, where clients (the connection service, tests) take it from without loading the emulator; its
// private key is here. It is test-only: the key is not a secret.
export { MEDIA_TLS_CERT_PEM } from '@wahooks/wa-trust';

export const MEDIA_TLS_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/kE1sY352DP//H6E
Fc9qyzd8xtigkG4PQW7LzCr6HmShRANCAAR2007DVVd2l0apBY4PMOMEAu/gvPNI
OWi0ur3ah4cEMb4py9rbbjFyMQkRyJ/D86VmCTjdjUUb521K1BPRmYx5
-----END PRIVATE KEY-----\n`;
