/** The trust anchor the emulator's clusters and CloudHSM stores use unless a seed gives one. */

/** A made-up PEM trust anchor (not a real certificate; KMS only echoes it). */
export const exampleTrustAnchor = [
  '-----BEGIN CERTIFICATE-----',
  'MIIDhjCCAm6gAwIBAgIJAJ2hO8ZQn0hYMA0GCSqGSIb3DQEBCwUAMFgxCzAJBgNV',
  'BAYTAlVTMQswCQYDVQQIDAJXQTEQMA4GA1UEBwwHU2VhdHRsZTEPMA0GA1UECgwG',
  'RXhhbXBsZTEZMBcGA1UEAwwQRXhhbXBsZSBIU00gQ0EgMTAeFw0yNDAxMTUxMDAw',
  'MDBaFw0zNDAxMTIxMDAwMDBaMFgxCzAJBgNVBAYTAlVTMQswCQYDVQQIDAJXQTEQ',
  '-----END CERTIFICATE-----',
].join('\n');
