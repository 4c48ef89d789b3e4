// Upstream LB: entry point — builds a cluster's LoadBalancer from lb_policy and its *_lb_config.
import { xxhash64 } from '../../../common/hash.js';
import type { Cluster } from '../../config/types.js';
import type { LoadBalancer, Picker, PrioritySet } from '../types.js';
import type { LeafFactory } from './leaf.js';
import { leastRequest } from './least-request.js';
import { maglev } from './maglev.js';
import { buildPicker } from './picker.js';
import { randomLb } from './random.js';
import { ringHash } from './ring-hash.js';
import { roundRobin } from './round-robin.js';
import type { Random } from './slot.js';

export interface LbOptions {
  /** Random source in [0, 1); default Math.random. Tests inject a seeded one. */
  random?: Random;
  /** Re-picks to avoid ctx.excluded hosts before settling (Envoy host_selection_retry_max_attempts); default 5, as Istio sets. */
  hostSelectionRetries?: number;
}

export function createLoadBalancer(cluster: Cluster, options: LbOptions = {}): LoadBalancer {
  const random = options.random ?? Math.random;
  const factory = leafFactory(cluster, random);
  const params = {
    factory,
    localityWeighted: cluster.common_lb_config.locality_weighted_lb_config,
    panicThreshold: cluster.common_lb_config.healthy_panic_threshold,
    random,
    hostSelectionRetries: Math.max(0, options.hostSelectionRetries ?? 5),
  };
  return { update: (set: PrioritySet): Picker => buildPicker(set, params) };
}

function leafFactory(cluster: Cluster, random: Random): LeafFactory {
  switch (cluster.lb_policy) {
    case 'LEAST_REQUEST':
      return leastRequest(cluster.least_request_lb_config, random);
    case 'RANDOM':
      return randomLb(random);
    case 'RING_HASH':
      // MURMUR_HASH_2 is not implemented: xxHash64 places hosts either way (keys map differently than in Envoy).
      return ringHash(cluster.ring_hash_lb_config, xxhash64, random);
    case 'MAGLEV':
      return maglev(cluster.maglev_lb_config, xxhash64, random);
    case 'ROUND_ROBIN':
    case 'CLUSTER_PROVIDED': // ORIGINAL_DST picks its host from the connection; round robin is only a fallback here
    default:
      return roundRobin(random);
  }
}
