// Public certificate of the test server's media upload host (the emulator's: CN "wa-emulator media host",
// SAN IP:127.0.0.1 + DNS:localhost, valid 100 years; its private key lives with the emulator and is not a secret).
// Baileys always uploads media over HTTPS, so a client that sends media to that test server trusts exactly this
// certificate: `fetchAgent: new https.Agent({ ca: MEDIA_TLS_CERT_PEM })` in makeWASocket. Nothing disables TLS checks.
export const MEDIA_TLS_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBtTCCAVugAwIBAgIUJNqxFwtdS8boOC4uWkUm/k/KVOgwCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWd2EtZW11bGF0b3IgbWVkaWEgaG9zdDAgFw0yNjExMjcwOTMy
MDRaGA8yMTI2MTEwMzA5MzIwNFowITEfMB0GA1UEAwwWd2EtZW11bGF0b3IgbWVk
aWEgaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABHbTTsNVV3aXRqkFjg8w
4wQC7+C880g5aLS6vdqHhwQxvinL2ttuMXIxCRHIn8PzpWYJON2NRRvnbUrUE9GZ
jHmjbzBtMB0GA1UdDgQWBBSi4BQCQZNQX7Dj9vA8qJpfN72cCzAfBgNVHSMEGDAW
gBSi4BQCQZNQX7Dj9vA8qJpfN72cCzAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQT
MBGHBH8AAAGCCWxvY2FsaG9zdDAKBggqhkjOPQQDAgNIADBFAiEAzt5mN+HQSE8C
6OMbIzI6m40vEESBFk3UNzRSXl/mn48CIFQB7WEOMZ52Vk9829qxDuNVmJQwu6gb
2ooWvXOz6b5z
-----END CERTIFICATE-----\n`;
