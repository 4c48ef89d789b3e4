// Benchmark: prints the Envoy bootstrap the peer benchmark runs trellis with (PORT, UPSTREAMS from the environment).
import { stringify } from 'yaml';
import { staticBootstrap } from './static-bootstrap.js';

const port = Number(process.env.PORT ?? 18200);
const upstreams = (process.env.UPSTREAMS ?? '127.0.0.1:19001,127.0.0.1:19002,127.0.0.1:19003').split(',');
process.stdout.write(stringify(staticBootstrap(port, upstreams, Number(process.env.ADMIN_PORT ?? 0))));
