// API stage: analyzer message types (Istio's IST0xxx codes, names, levels and wording) and istioctl-style formatting.

export type Level = 'Error' | 'Warning' | 'Info';

export interface Message {
  /** Istio's code (IST0101 …) or, where Istio has none, a Trellis code (TRL0xxx). */
  code: string;
  /** Istio's message-type name, e.g. ReferencedResourceNotFound. */
  name: string;
  level: Level;
  /** 'Kind namespace/name'. */
  resource: string;
  /** Field path inside the resource, when the problem has one. */
  path?: string;
  message: string;
}

interface MessageType {
  code: string;
  name: string;
  level: Level;
}

// Codes, names and levels as in Istio's pkg/config/analysis/msg/messages.yaml.
export const ReferencedResourceNotFound: MessageType = { code: 'IST0101', name: 'ReferencedResourceNotFound', level: 'Error' };
export const SchemaValidationError: MessageType = { code: 'IST0106', name: 'SchemaValidationError', level: 'Error' };

export const ConflictingMeshGatewayVirtualServiceHosts: MessageType = { code: 'IST0109', name: 'ConflictingMeshGatewayVirtualServiceHosts', level: 'Error' };
export const VirtualServiceDestinationPortSelectorRequired: MessageType = { code: 'IST0112', name: 'VirtualServiceDestinationPortSelectorRequired', level: 'Error' };
export const VirtualServiceHostNotFoundInGateway: MessageType = { code: 'IST0132', name: 'VirtualServiceHostNotFoundInGateway', level: 'Warning' };
export const InvalidGatewayCredential: MessageType = { code: 'IST0161', name: 'InvalidGatewayCredential', level: 'Error' };
export const DestinationRuleSubsetNotSelectPods: MessageType = { code: 'IST0173', name: 'DestinationRuleSubsetNotSelectPods', level: 'Error' };
export const UnknownDestinationRuleHost: MessageType = { code: 'IST0174', name: 'UnknownDestinationRuleHost', level: 'Warning' };
// Istio has no current code for this (it merges such rules silently); Kiali calls it KIA0201.
export const ConflictingDestinationRulesHost: MessageType = { code: 'TRL0001', name: 'ConflictingDestinationRulesHost', level: 'Warning' };
// Trellis binds Sidecar egress ports for real (no iptables), so a port a proxy already holds, or a TCP port that cannot tell services apart, fails.
export const SidecarEgressPortConflict: MessageType = { code: 'TRL0002', name: 'SidecarEgressPortConflict', level: 'Error' };
export const SidecarEgressListenerUnroutable: MessageType = { code: 'TRL0003', name: 'SidecarEgressListenerUnroutable', level: 'Warning' };
/** Valid Istio that `apply` refuses because Trellis cannot honour it yet. */
export const UnsupportedField: MessageType = { code: 'TRL0004', name: 'UnsupportedField', level: 'Error' };
export const NoMatchingWorkloadsFound: MessageType = { code: 'IST0127', name: 'NoMatchingWorkloadsFound', level: 'Warning' };
/** A policy translation cannot serve (e.g. a CUSTOM provider missing from the mesh config): its workloads fail closed. */
export const AuthorizationPolicyNotTranslated: MessageType = { code: 'TRL0005', name: 'AuthorizationPolicyNotTranslated', level: 'Error' };
// Istio's webhook gives this as a validation warning, without a code.
export const AuthorizationPolicyDeniesTcp: MessageType = { code: 'TRL0006', name: 'AuthorizationPolicyDeniesTcp', level: 'Warning' };
export const ConflictingTelemetryWorkloadSelectors: MessageType = { code: 'IST0159', name: 'ConflictingTelemetryWorkloadSelectors', level: 'Error' };
export const MultipleTelemetriesWithoutWorkloadSelectors: MessageType = { code: 'IST0160', name: 'MultipleTelemetriesWithoutWorkloadSelectors', level: 'Error' };
/** A Telemetry names a provider the mesh config does not define, or whose collector is not a known service: nothing is sent. */
export const TelemetryProviderNotServed: MessageType = { code: 'TRL0007', name: 'TelemetryProviderNotServed', level: 'Warning' };

export function message(type: MessageType, resource: string, text: string, path?: string): Message {
  return { code: type.code, name: type.name, level: type.level, resource, ...(path !== undefined ? { path } : {}), message: text };
}

/** istioctl's line: `Error [IST0101] (VirtualService default/reviews) Referenced host not found: "ratings"`. */
export function formatMessage(m: Message): string {
  return `${m.level} [${m.code}] (${m.resource}) ${m.message}`;
}

const LEVEL_ORDER: Record<Level, number> = { Error: 0, Warning: 1, Info: 2 };

/** Stable order for output: errors first, then by resource, then path. */
export function sortMessages(ms: Message[]): Message[] {
  return [...ms].sort(
    (a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || a.resource.localeCompare(b.resource) || (a.path ?? '').localeCompare(b.path ?? '') || a.code.localeCompare(b.code),
  );
}
