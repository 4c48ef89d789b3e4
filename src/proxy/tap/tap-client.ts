// Proxy tap: the long-lived `/trellis.tap.v1.Tap/Stream` to the control plane (same port and credentials as ADS, reconnecting with backoff) — starts/stops sessions, sends event batches.
import type { XdsNode } from '../../xds/ads-service.js';
import { decodeTapDown, encodeTap, TAP_STREAM_PATH, type TapDown, type TapUp } from '../../tap/protocol.js';
import { AdsStream, type AdsStreamOptions } from '../xds/ads-stream.js';
import type { GrpcMethod } from '../xds/grpc-call.js';
import type { StatsStore } from '../telemetry/stats-store.js';
import { tapSelf, tapSessions } from './tap-hook.js';
import type { TapSelf } from './tap-event.js';

/** How often waiting events go out (Linkerd's tap is "live": a tenth of a second is invisible to a person). */
const FLUSH_MS = 100;

const TAP_METHOD: GrpcMethod<TapUp, TapDown> = { path: TAP_STREAM_PATH, serialize: encodeTap, deserialize: decodeTapDown };

function metaString(node: XdsNode, key: string): string {
  const v = (node.metadata as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' ? v : '';
}

/** Who we are, from the node metadata the control plane also reads. */
export function tapSelfFromNode(node: XdsNode, trustDomain: string | undefined): TapSelf {
  const namespace = metaString(node, 'NAMESPACE') || 'default';
  const sa = metaString(node, 'SERVICE_ACCOUNT') || 'default';
  return {
    proxy: node.id ?? '',
    service: metaString(node, 'TRELLIS_SERVICE'),
    workload: metaString(node, 'WORKLOAD_NAME'),
    namespace,
    principal: trustDomain !== undefined ? `spiffe://${trustDomain}/ns/${namespace}/sa/${sa}` : 'unknown',
  };
}

export class TapClient {
  private readonly stream: AdsStream<TapUp, TapDown>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: XdsNode,
    opts: AdsStreamOptions,
    stats: StatsStore,
    private readonly log: (m: string) => void,
    trustDomain?: string,
  ) {
    Object.assign(tapSelf, tapSelfFromNode(node, trustDomain));
    const sent = stats.counter('tap', 'events_sent');
    const dropped = stats.counter('tap', 'events_dropped');
    const sessions = stats.gauge('tap', 'sessions_active');
    this.flushStats = () => {
      sessions.set(tapSessions.size);
      const d = tapSessions.counters.eventsDropped;
      if (d > this.droppedSeen) dropped.inc(d - this.droppedSeen);
      this.droppedSeen = d;
    };
    this.countSent = (n) => sent.inc(n);
    this.stream = new AdsStream<TapUp, TapDown>(TAP_METHOD, opts, {
      onOpen: () => this.stream.send({ node: { id: this.node.id ?? '' } }) || undefined,
      onResponse: (m) => this.onMessage(m),
      // sessions belong to the stream: the control plane starts them again if the tap is still running
      onClose: () => {
        tapSessions.stopAll();
        this.flushStats();
      },
    });
  }

  private droppedSeen = 0;
  private readonly flushStats: () => void;
  private readonly countSent: (n: number) => void;

  start(): void {
    this.stream.start();
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    tapSessions.stopAll();
    this.stream.close();
  }

  private onMessage(m: TapDown): void {
    if ('start' in m) {
      this.log(`tap: session ${m.start.id} started (max ${m.start.maxRps} rps)`);
      tapSessions.start(m.start.id, m.start.match, m.start.maxRps);
    } else {
      this.log(`tap: session ${m.stop.id} stopped`);
      tapSessions.stop(m.stop.id);
    }
    this.flushStats();
  }

  private flush(): void {
    if (!tapSessions.active) return;
    for (const b of tapSessions.drain()) {
      if (this.stream.send({ events: { id: b.id, events: b.events, dropped: b.dropped } })) this.countSent(b.events.length);
    }
    this.flushStats();
  }
}
