// Demo: three small backends on 127.0.0.1:19001-19003 and `trellis proxy -c examples/front-proxy.yaml` in front of them.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const backends = [
  { name: 'backend_a', port: 19001 },
  { name: 'backend_b', port: 19002 },
  { name: 'backend_c', port: 19003 },
];

const servers = backends.map(({ name, port }) =>
  http
    .createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`${name} answered ${req.method} ${req.url}\n`);
    })
    .listen(port, '127.0.0.1'),
);

const proxy = spawn(process.execPath, [path.join(root, 'dist/src/cli/main.js'), 'proxy', '-c', path.join(root, 'examples/front-proxy.yaml')], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
process.stdout.write(
  [
    'Trellis demo: backends on 127.0.0.1:19001-19003, proxy on 127.0.0.1:10000, admin on 127.0.0.1:9901',
    'Try:',
    '  curl -H "host: api.example.com" http://127.0.0.1:10000/v1/items     # 1:2:3 split across backend_a/b/c',
    '  curl http://127.0.0.1:10000/static/logo.png                         # prefix rewrite to backend_a',
    '  curl -H "x-envoy-fault-abort-request: 503" http://127.0.0.1:10000/   # fault injection',
    '  curl http://127.0.0.1:9901/stats/prometheus | grep upstream_rq_total',
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);
const stop = (): void => {
  proxy.kill('SIGTERM');
  for (const s of servers) s.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
proxy.on('exit', (code) => {
  for (const s of servers) s.close();
  process.exitCode = code ?? 0;
});
