// Certificate authority: issuance counted under Istio's Citadel metric names, Prometheus text.
export class CaMetrics {
  csrCount = 0;
  successCertIssuance = 0;
  csrParsingErrors = 0;
  constructor(private readonly rootExpiry: () => Date) {}

  render(): string {
    const counter = (name: string, help: string, v: number): string[] => [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${v}`];
    return [
      ...counter('citadel_server_csr_count', 'The number of CSRs received by Citadel server.', this.csrCount),
      ...counter('citadel_server_success_cert_issuance_count', 'The number of certificates issuances that have succeeded.', this.successCertIssuance),
      ...counter('citadel_server_csr_parsing_err_count', 'The number of errors occurred when parsing the CSR.', this.csrParsingErrors),
      '# HELP citadel_server_root_cert_expiry_timestamp The unix timestamp, in seconds, when Citadel root cert will expire.',
      '# TYPE citadel_server_root_cert_expiry_timestamp gauge',
      `citadel_server_root_cert_expiry_timestamp ${Math.floor(this.rootExpiry().getTime() / 1000)}`,
      '',
    ].join('\n');
  }
}
