// Test helper: small Bookinfo-style resources and temp files for the CLI tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SERVICES = `apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
`;

export const REVIEWS_VS = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  gateways: [mesh]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
`;

export const REVIEWS_DR = `{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "reviews"},
 "spec": {"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]}}
`;

/** A VirtualService routing to a host nothing defines: IST0101. */
export const BAD_HOST_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: ratingz}
`;

export function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

export function tempFile(name: string, text: string): string {
  return path.join(tempDir({ [name]: text }), name);
}
