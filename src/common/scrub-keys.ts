// Common: log and error text with private key material cut out — PEM private key blocks, and their base64 (a Secret's data) — for lines that may quote a resource.

const PEM_KEY = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|$)/g;
// "-----BEGIN " in base64 at each of the three byte alignments a PEM can start at inside base64 data (runs start on a 4-char group)
const B64_PEM = /(?:LS0tLS1CRUdJTi|LS0tQkVHSU4g|LS0tLUJFR0lO)[A-Za-z0-9+/=\r\n]*/g;

export const SCRUBBED = '[private key redacted]';

function b64HoldsKey(run: string): boolean {
  const text = Buffer.from(run.replace(/[\r\n]/g, ''), 'base64').toString('latin1');
  return text.includes('PRIVATE KEY');
}

/** `text` without private keys; everything else (certificates included: they are public) unchanged. */
export function scrubKeys(text: string): string {
  if (!text.includes('PRIVATE KEY') && !text.includes('LS0t')) return text;
  return text.replace(PEM_KEY, SCRUBBED).replace(B64_PEM, (run) => (b64HoldsKey(run) ? SCRUBBED : run));
}

/** A log function whose lines never carry private keys. */
export function scrubbingLog(log: (msg: string) => void): (msg: string) => void {
  return (msg) => log(scrubKeys(msg));
}
