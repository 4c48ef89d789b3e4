// Protocol sniffers: the pass-through network filter around a protocol decoder — it sees both directions' bytes and
// never changes or holds them; a decoder that throws only stops the sniffing (counted by the protocol's error stat).
import type { NetworkFilter, NetworkFilterStatus } from '../api.js';

export interface ProtocolDecoder {
  /** Bytes from the downstream client, in order. */
  fromClient(data: Buffer): void;
  /** Bytes from the upstream server on their way to the client, in order. */
  fromServer(data: Buffer): void;
  /** True once there is nothing more to learn (TLS started, the decoder lost the framing). */
  readonly stopped: boolean;
}

export interface SnifferHooks {
  /** A new connection (e.g. MySQL counts sessions here). */
  onNewConnection?(): void;
  /** The decoder threw on bytes from the client (true) or the server (false); it is not called again. */
  onDecoderError?(fromClient: boolean, err: unknown): void;
}

export function snifferFilter(decoder: ProtocolDecoder, hooks: SnifferHooks = {}): NetworkFilter {
  let failed = false;
  const feed = (fromClient: boolean, data: Buffer): void => {
    if (failed || decoder.stopped || data.length === 0) return;
    try {
      if (fromClient) decoder.fromClient(data);
      else decoder.fromServer(data);
    } catch (e) {
      failed = true;
      hooks.onDecoderError?.(fromClient, e);
    }
  };
  return {
    onNewConnection: (): NetworkFilterStatus => {
      hooks.onNewConnection?.();
      return 'continue';
    },
    onData: (data: Buffer): NetworkFilterStatus => {
      feed(true, data);
      return 'continue';
    },
    onWrite: (data: Buffer): void => feed(false, data),
  };
}
