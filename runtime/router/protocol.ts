// runtime/router/protocol.ts — the messages between the Router facade (runtime/router.ts) and its engine's worker
// (worker.ts). State changes go one way, in order; listen, drain, stats and close are requests with an id and a reply.
import type { HttpLimits } from '../../core/http-limits.ts';
import type { MessagePort } from 'node:worker_threads';
import type { AppEdgeOptions, CertificatePem, TableState } from './table.ts';

/** What the worker starts with. `posted` counts the messages the facade has sent, so the worker can catch up at once. */
export interface WorkerInit {
  baseDomain: string;
  limits: HttpLimits;
  upstreamTimeoutMs: number;
  port: MessagePort;
  posted: Int32Array;
}

/** The whole state, with certificates, for a (re)started worker. */
export interface EngineState extends TableState { certificates: Array<[string, CertificatePem]> }

/** Facade → worker. */
export type ToWorker =
  | { t: 'load'; state: EngineState }
  | { t: 'route'; app: string; backends: number[] }
  | { t: 'unroute'; app: string }
  | { t: 'forget'; app: string }
  | { t: 'domains'; app: string; hosts: string[] }
  | { t: 'cert'; host: string; pem: CertificatePem | undefined }
  | { t: 'challenge'; token: string; value: string | undefined }
  | { t: 'options'; app: string; options: AppEdgeOptions }
  | { t: 'platform'; hosts: string[]; port: number; secret: string }
  | { t: 'listen'; id: number; port: number; host: string | undefined; tls: boolean }
  | { t: 'drain'; id: number; ports: number[]; timeoutMs: number }
  | { t: 'stats'; id: number }
  | { t: 'close'; id: number };

/** Worker → facade: a reply to a request, or something to log. */
export type FromWorker = { t: 'reply'; id: number; value?: unknown; error?: string } | { t: 'log'; message: string };
