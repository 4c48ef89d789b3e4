// Control-plane tap: the proxies connected on their tap streams and the taps the API runs — fan-out of start/stop, routing of event batches back to each tap.
import { randomUUID } from 'node:crypto';
import type { ProxyNode } from '../model/types.js';
import type { TapDown, TapEvent, TapMatch } from '../../tap/protocol.js';

/** One proxy's tap stream. */
export interface TapProxyLink {
  node: ProxyNode;
  send(msg: TapDown): void;
}

export interface TapRequest {
  target: string;
  namespace: string;
  match: TapMatch;
  maxRps: number;
}

export interface TapHandlers {
  onEvent(e: TapEvent): void;
  /** Events a proxy matched but could not send (rate limit, full queue). */
  onDropped?(n: number): void;
}

export class TooManyTaps extends Error {}

interface RunningTap {
  id: string;
  req: TapRequest;
  h: TapHandlers;
  links: Set<TapProxyLink>;
}

/** Does a proxy belong to the tapped service or workload? */
export function tapTargets(node: ProxyNode, target: string, namespace: string): boolean {
  return node.namespace === namespace && (node.serviceName === target || node.workloadName === target);
}

export class TapHub {
  private readonly links = new Set<TapProxyLink>();
  private readonly taps = new Map<string, RunningTap>();

  constructor(private readonly maxConcurrent = 16) {}

  get running(): number {
    return this.taps.size;
  }

  /** A proxy's stream is identified; it joins every running tap it belongs to. */
  attach(link: TapProxyLink): void {
    this.links.add(link);
    for (const t of this.taps.values()) this.join(t, link);
  }

  detach(link: TapProxyLink): void {
    this.links.delete(link);
    for (const t of this.taps.values()) t.links.delete(link);
  }

  /** Starts a tap on every proxy of the target (and on any that connect later); returns its stop. */
  start(req: TapRequest, h: TapHandlers): { id: string; proxies: number; stop: () => void } {
    if (this.taps.size >= this.maxConcurrent) throw new TooManyTaps(`at most ${this.maxConcurrent} taps run at once`);
    const t: RunningTap = { id: randomUUID(), req, h, links: new Set() };
    this.taps.set(t.id, t);
    for (const l of this.links) this.join(t, l);
    return { id: t.id, proxies: t.links.size, stop: () => this.stop(t.id) };
  }

  /** A batch from a proxy: delivered only when that proxy is part of the tap it names. */
  deliver(link: TapProxyLink, id: string, events: readonly TapEvent[], dropped: number): void {
    const t = this.taps.get(id);
    if (t === undefined || !t.links.has(link)) return;
    for (const e of events) t.h.onEvent(e);
    if (dropped > 0) t.h.onDropped?.(dropped);
  }

  private join(t: RunningTap, link: TapProxyLink): void {
    if (!tapTargets(link.node, t.req.target, t.req.namespace)) return;
    t.links.add(link);
    link.send({ start: { id: t.id, match: t.req.match, maxRps: t.req.maxRps } });
  }

  private stop(id: string): void {
    const t = this.taps.get(id);
    if (t === undefined) return;
    this.taps.delete(id);
    for (const l of t.links) l.send({ stop: { id } });
  }
}
