// Messages between the fan-out coordinator (bench/load/fanout.ts) and its generator processes
// (bench/load/fanout-worker.ts), over the IPC channel of child_process.fork.

export interface WorkerInit {
  url: string;
  groupId: number;
  /** This process's share of the members. */
  tokens: string[];
  /** Members that connect, then never read their socket (the slow-client benchmark). */
  slowTokens: string[];
  acks: boolean;
  /** Only in worker 0. */
  sender?: {
    token: string;
    mode: 'throughput' | 'latency';
    inflight: number;
    /** Messages per second in latency mode. */
    rate: number;
    bodyBytes: number;
  };
}

export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  /** Times on CLOCK_MONOTONIC (ms): latencies are kept for messages sent in [measureFrom, measureTo). */
  | { type: 'start'; timing: boolean; measureFrom: number; measureTo: number }
  | { type: 'snap'; id: number }
  | { type: 'stop' }
  | { type: 'status'; id: number }
  | { type: 'finish'; maxSeq: number };

export interface WorkerResult {
  type: 'result';
  pid: number;
  members: number;
  deliveries: number;
  /** Sum over this process's members of (maxSeq − the last contiguous seq received). */
  lost: number;
  /** Seqs that were not the previous one + 1 (duplicates, reordering, gaps). */
  bad: number;
  /** Deliveries beyond maxSeq per member (duplicates). */
  extra: number;
  closed: number;
  acksSent: number;
  accepted: number;
  sendErrors: number;
  firstError: string;
  /** Send → this member's socket, ms, one per delivery of a timed message. */
  latencies: number[];
  /** [seq, send → its latest arrival here, ms] for timed messages. */
  lastMember: [number, number][];
}

export type FromWorker =
  | { type: 'ready'; pid: number }
  | { type: 'failed'; error: string }
  | { type: 'snap'; id: number; deliveries: number; accepted: number; acksSent: number }
  | { type: 'status'; id: number; minLast: number; inflight: number; maxSeq: number }
  | WorkerResult;
