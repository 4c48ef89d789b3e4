// E2E: the protocol sniffers (mysql_proxy, postgres_proxy, kafka_broker) before tcp_proxy in a real `trellis proxy` —
// scripted servers and clients speak real wire bytes through it; every byte arrives unchanged both ways, the stats
// follow Envoy's names, and garbage only stops the sniffing.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { adminGet, multiBootstrap, startProxy, staticCluster, waitFor, type RunningProxy } from './harness.js';
import * as my from '../proxy/network/filters/mysql-wire.js';
import * as pg from '../proxy/network/filters/postgres-wire.js';
import * as kafka from '../proxy/network/filters/kafka-wire.js';

const TCP_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** One side of a conversation: bytes to send, or a number of bytes to wait for from the other side. */
type Step = { send: Buffer } | { expect: number };
interface Conversation {
  server: Step[];
  client: Step[];
}

/** Runs `steps` on `s`; resolves with everything received once the last step is done (or the peer closed). */
function play(s: net.Socket, steps: readonly Step[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    let have = 0;
    let want = 0;
    let i = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(got));
    };
    /** Whether `want` already includes the expect step at `i`. */
    let counted = false;
    const advance = (): void => {
      while (i < steps.length) {
        const st = steps[i]!;
        if ('send' in st) s.write(st.send);
        else {
          if (!counted) want += st.expect;
          counted = true;
          if (have < want) return;
        }
        counted = false;
        i++;
      }
      finish();
    };
    s.on('data', (c: Buffer) => {
      got.push(c);
      have += c.length;
      if (have >= want) advance();
    });
    s.on('error', () => {});
    s.on('close', finish);
    advance();
  });
}

/** A server that plays the next queued conversation's server side on each connection and records what it received. */
class ScriptedServer {
  readonly queue: Conversation[] = [];
  readonly received: Buffer[] = [];
  port = 0;
  private readonly server = net.createServer((s) => {
    const conv = this.queue.shift();
    if (conv === undefined) return void s.destroy();
    void play(s, conv.server).then((b) => {
      this.received.push(b);
      s.end();
    });
  });
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const sent = (steps: readonly Step[]): Buffer => Buffer.concat(steps.flatMap((s) => ('send' in s ? [s.send] : [])));
const size = (b: Buffer): Step => ({ expect: b.length });

/** Two sides from one list of messages in order: each side sends its own and expects the other's. */
function conversation(messages: readonly (readonly ['client' | 'server', Buffer])[]): Conversation {
  const c: Conversation = { server: [], client: [] };
  for (const [from, b] of messages) {
    (from === 'client' ? c.client : c.server).push({ send: b });
    (from === 'client' ? c.server : c.client).push(size(b));
  }
  return c;
}

let mysql: ScriptedServer;
let postgres: ScriptedServer;
let broker: ScriptedServer;
let proxy: RunningProxy;

function sniffer(listenerName: string, filter: object, cluster: string): object {
  return {
    name: listenerName,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [filter, { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_TYPE, stat_prefix: listenerName, cluster } }] }],
  };
}

before(async () => {
  mysql = await new ScriptedServer().start();
  postgres = await new ScriptedServer().start();
  broker = await new ScriptedServer().start();
  proxy = await startProxy(
    multiBootstrap(
      [
        sniffer('mysql', { name: 'envoy.filters.network.mysql_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy', stat_prefix: 'mysqldb' } }, 'mysql'),
        sniffer('postgres', { name: 'envoy.filters.network.postgres_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.postgres_proxy.v3alpha.PostgresProxy', stat_prefix: 'pgdb', enable_sql_parsing: true, terminate_ssl: false } }, 'postgres'),
        sniffer('kafka', { name: 'envoy.filters.network.kafka_broker', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker', stat_prefix: 'events' } }, 'kafka'),
      ],
      [staticCluster('mysql', [mysql.port]), staticCluster('postgres', [postgres.port]), staticCluster('kafka', [broker.port])],
    ),
  );
});

after(async () => {
  await proxy?.stop();
  await Promise.all([mysql?.close(), postgres?.close(), broker?.close()]);
});

/** Plays `conv` through the named listener; checks both directions arrived byte for byte. */
async function converse(listener: string, server: ScriptedServer, conv: Conversation): Promise<void> {
  server.queue.push(conv);
  const before = server.received.length;
  const s = net.connect(proxy.listeners.get(listener)!, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const clientGot = await play(s, conv.client);
  s.end();
  await waitFor(() => server.received.length > before, 5000, 'the server to finish');
  assert.deepEqual(clientGot, sent(conv.server), 'the client got the server bytes unchanged');
  assert.deepEqual(server.received[before], sent(conv.client), 'the server got the client bytes unchanged');
}

async function stat(name: string): Promise<number | undefined> {
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec((await adminGet(proxy.adminPort, '/stats')).body);
  return m === null ? undefined : Number(m[1]);
}

test('mysql_proxy: a login with queries, then a refused login, counted as Envoy names them', async () => {
  await converse(
    'mysql',
    mysql,
    conversation([
      ['server', my.greeting()],
      ['client', my.login()],
      ['server', my.ok(2)],
      ['client', my.query('SELECT id FROM users')],
      ['server', my.ok(1)],
      ['client', my.query('INSERT INTO users VALUES (1)')],
      ['server', my.ok(1)],
    ]),
  );
  await converse('mysql', mysql, conversation([['server', my.greeting()], ['client', my.login('intruder')], ['server', my.err(2)]]));
  await waitFor(async () => (await stat('mysql.mysqldb.login_failures')) === 1, 5000, 'login_failures');
  assert.equal(await stat('mysql.mysqldb.sessions'), 2);
  assert.equal(await stat('mysql.mysqldb.login_attempts'), 2);
  assert.equal(await stat('mysql.mysqldb.queries_parsed'), 2);
  assert.equal(await stat('mysql.mysqldb.protocol_errors'), 0);
});

test('mysql_proxy: garbage from the server only stops the sniffing — the bytes still flow both ways', async () => {
  const junk = Buffer.from([0x05, 0, 0, 0, 0x99, 1, 2, 3, 4]);
  await converse('mysql', mysql, conversation([['server', junk], ['client', Buffer.from('still here')], ['server', Buffer.from('and back')]]));
  await waitFor(async () => (await stat('mysql.mysqldb.decoder_errors')) === 1, 5000, 'decoder_errors');
});

test('postgres_proxy: startup, SELECT / INSERT in a transaction, an error and a notice', async () => {
  await converse(
    'postgres',
    postgres,
    conversation([
      ['client', pg.sslRequest()],
      ['server', Buffer.from('N')],
      ['client', pg.startup()],
      ['server', pg.loginReplies()],
      ['client', pg.query('SELECT 1')],
      ['server', Buffer.concat([pg.complete('SELECT 1'), pg.ready()])],
      ['client', pg.query('BEGIN; INSERT INTO t VALUES (1); COMMIT')],
      ['server', Buffer.concat([pg.complete('BEGIN'), pg.complete('INSERT 0 1'), pg.complete('COMMIT'), pg.report('N', 'NOTICE'), pg.report('E', 'ERROR'), pg.ready()])],
      ['client', pg.terminate()],
    ]),
  );
  await waitFor(async () => (await stat('postgres.pgdb.statements')) === 4, 5000, 'statements');
  assert.equal(await stat('postgres.pgdb.sessions'), 1);
  assert.equal(await stat('postgres.pgdb.sessions_unencrypted'), 1);
  assert.equal(await stat('postgres.pgdb.statements_select'), 1);
  assert.equal(await stat('postgres.pgdb.statements_insert'), 1);
  assert.equal(await stat('postgres.pgdb.transactions_commit'), 3);
  assert.equal(await stat('postgres.pgdb.errors_error'), 1);
  assert.equal(await stat('postgres.pgdb.notices_notice'), 1);
  assert.equal(await stat('postgres.pgdb.queries_parsed'), 2);
  assert.equal(await stat('postgres.pgdb.messages_frontend'), 5);
});

test('kafka_broker: requests and responses counted per API (matched by correlation id)', async () => {
  await converse(
    'kafka',
    broker,
    conversation([
      ['client', kafka.request(18, 3, 7)],
      ['server', kafka.response(7)],
      ['client', Buffer.concat([kafka.request(3, 12, 8), kafka.request(0, 9, 9, Buffer.alloc(70_000, 3))])],
      ['server', Buffer.concat([kafka.response(8), kafka.response(9)])],
    ]),
  );
  await waitFor(async () => (await stat('kafka.events.response.produce_response')) === 1, 5000, 'produce_response');
  assert.equal(await stat('kafka.events.request.api_versions_request'), 1);
  assert.equal(await stat('kafka.events.response.api_versions_response'), 1);
  assert.equal(await stat('kafka.events.request.metadata_request'), 1);
  assert.equal(await stat('kafka.events.request.produce_request'), 1);
  assert.equal(await stat('kafka.events.request.unknown'), 0);
});
