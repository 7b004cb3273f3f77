// Leases: how several Qun nodes on one database share scheduled work without doing it twice. Shared by
// both engines (each keeps only its SQL). Pure.
//
// - Per-row leases for work that is spread over the nodes: a due reminder or escalation (on its membership
//   row: lease_holder, lease_until) and a text in flight to the gateway (outbound_sms: claimed_by,
//   lease_until). Taking due work is a claim: one statement picks the due rows whose lease is free or
//   expired and writes this node and now + the lease onto them (FOR UPDATE SKIP LOCKED on PostgreSQL, so
//   two claimers never take the same row and never wait for each other). Finishing clears the lease; a
//   node that dies leaves it to expire, and the next claim after that, on any node, takes the row over.
// - Named leases (the leases table) for work that must run on one node at a time: history retention.
//   A row rather than pg_try_advisory_lock: it works the same on SQLite, survives a connection pooler in
//   transaction mode (a session advisory lock does not), needs no connection held for the whole run, its
//   expiry takes a clock a test can set, and `SELECT * FROM leases` tells an operator who runs what.
//
// Clocks: an expiry is written by one node's clock and read by another's, so the lease must be far longer
// than the skew between the nodes' clocks (NTP keeps it to milliseconds; the default lease is minutes).

/** Who a store's claims are leased to and for how long: constructor options of every engine. */
export interface LeaseOptions {
  /** This node's id (QUN_NODE_ID): stable across restarts, so a restarted node knows its own rows. */
  nodeId?: string;
  /** How long claimed work stays with its node before another may take it over (QUN_LEASE). */
  leaseMs?: number;
}

export interface Lease {
  holder: string;
  ms: number;
}

/** The default for stores opened without a node (tools, tests): one process, one holder. */
export const DEFAULT_LEASE: Lease = { holder: 'qun', ms: 120_000 };

export function leaseOf(opts: LeaseOptions): Lease {
  return { holder: opts.nodeId ?? DEFAULT_LEASE.holder, ms: opts.leaseMs ?? DEFAULT_LEASE.ms };
}

/** The rows a claim returns in the order the scan wants them (an UPDATE … RETURNING keeps no order). */
export function byDueThenKey<T extends { due: number; groupId: number; userId: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => a.due - b.due || a.groupId - b.groupId || a.userId - b.userId);
}

/**
 * Whether a text about to go must have its lease extended first. The recheck before a submit fences:
 * only a text still leased to this node goes, and nobody can take it over while its lease runs. A lease
 * with more than two thirds left (a text claimed a moment ago, as almost all are) outlasts the submit
 * without a write; rewriting it anyway cost one commit, one fsync, per text.
 */
export function leaseWantsExtending(leaseUntil: number | null, now: number, lease: Lease): boolean {
  return leaseUntil === null || leaseUntil - now < (lease.ms * 2) / 3;
}
