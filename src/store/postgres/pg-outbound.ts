// The durable outbound SMS queue on PostgreSQL, with inbound de-duplication.
// Several Qun nodes may drain one queue: claim() locks the rows it takes with FOR UPDATE SKIP LOCKED, so two
// claimers never hand the same text to the gateway, and neither waits for the other's rows.
import { type OutboundRow, toOutbound } from '../rows.ts';
import { blockedByOptOut, CANCEL_REASON, recheckVerdict, type TextFacts } from '../rules/cancel-rules.ts';
import {
  carriedReason,
  DIGEST_PARTS,
  type DigestPartRow,
  LEFT_TO_INBOX,
  planDigest,
} from '../rules/digest-rules.ts';
import { DEFAULT_LEASE, type Lease, leaseWantsExtending } from '../rules/lease-rules.ts';
import type { OutboundSms, OutboundStore, ReceiptSettlement } from '../store.ts';
import { changes, type Db, type Queryable, row, rows, tx } from './pg-db.ts';
import { insertOutbound } from './pg-insert-outbound.ts';

/** Exported for bench/diag/claim-scan.ts, which reads the claim's plan. */
export const SQL = {
  // One number's texts leave in queue order, so with several nodes they go from one node at a time. A
  // claim locks heads first: the oldest due text of each number (SKIP LOCKED: a head another claimer
  // holds is its number, skipped whole) with nothing of its number in the way: no earlier text in flight
  // (on any node: this one's may be a dead node's it took over and is still reconciling), due, or in
  // back-off for a retry, and nothing in flight on another node. Then it takes the numbers' next texts
  // behind the heads it holds (nobody else locks those, as they are no heads), never past an earlier text
  // of their number in back-off: a head may be due before it, such as a text requeued at once after a
  // take-over — and never past one still in flight: a take-over's reconcile requeues its texts one at a
  // time, so the first can be a head while the next is still being looked up (the three-node run texted
  // 16–22 before 8–15 so). The texts one claim takes to one number this node sends one after another
  // (sms-sender.ts).
  pickHeads: `SELECT o.*, u.sms_opted_out AS opted_out FROM outbound_sms o LEFT JOIN users u ON u.phone = o.to_phone
    WHERE o.state = 'queued' AND o.not_before <= $1
      AND NOT EXISTS (SELECT 1 FROM outbound_sms s WHERE s.to_phone = o.to_phone AND s.state = 'submitting'
        AND (s.id < o.id OR s.claimed_by IS DISTINCT FROM $3))
      AND NOT EXISTS (SELECT 1 FROM outbound_sms e WHERE e.to_phone = o.to_phone AND e.state = 'queued'
        AND e.id < o.id AND (e.not_before <= $1 OR e.attempts > 0))
    ORDER BY o.id LIMIT $2
    FOR UPDATE OF o SKIP LOCKED`,
  pickBehind: `SELECT o.*, u.sms_opted_out AS opted_out FROM outbound_sms o LEFT JOIN users u ON u.phone = o.to_phone
    WHERE o.state = 'queued' AND o.not_before <= $1 AND o.to_phone = ANY($2::text[]) AND o.id <> ALL($3::bigint[])
      AND NOT EXISTS (SELECT 1 FROM outbound_sms e WHERE e.to_phone = o.to_phone AND e.state = 'queued'
        AND e.id < o.id AND e.attempts > 0 AND e.not_before > $1)
      AND NOT EXISTS (SELECT 1 FROM outbound_sms s WHERE s.to_phone = o.to_phone AND s.state = 'submitting'
        AND s.id < o.id)
    ORDER BY o.id LIMIT $4
    FOR UPDATE OF o`,
  // A text taken for the gateway is leased to this node (lease-rules.ts); a cancelled one keeps no lease.
  claimPicked: `UPDATE outbound_sms o SET updated_at = $1, state = t.state, error = t.error, attempts = o.attempts + t.n,
      claimed_by = CASE WHEN t.state = 'submitting' THEN $6 ELSE o.claimed_by END,
      lease_until = CASE WHEN t.state = 'submitting' THEN $7::bigint ELSE o.lease_until END
    FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[]) AS t(id, state, error, n) WHERE o.id = t.id`,
  // Only a text still leased to this node: one another node took over is not this node's to send. FOR UPDATE
  // holds the row against a take-over until the lease is extended and committed.
  textFacts: `SELECT o.kind, o.ignore_opt_out AS "ignoreOptOut", u.sms_opted_out AS "optedOut", m.state AS "memberState",
      o.lease_until AS "leaseUntil"
    FROM outbound_sms o LEFT JOIN users u ON u.phone = o.to_phone
    LEFT JOIN memberships m ON m.group_id = o.group_id AND m.user_id = o.user_id
    WHERE o.id = $1 AND o.state = 'submitting' AND o.claimed_by = $2
    FOR UPDATE OF o`,
  extend: 'UPDATE outbound_sms SET lease_until = $1::bigint WHERE id = $2',
  // Texts in flight that nobody will finish: an expired lease (a dead node's, or one from before leases),
  // or at start-up this node's own. SKIP LOCKED: two nodes taking over at once split them.
  takeOver: `UPDATE outbound_sms SET claimed_by = $1, lease_until = $2::bigint
    WHERE id IN (SELECT id FROM outbound_sms WHERE state = 'submitting'
      AND ((claimed_by IS DISTINCT FROM $1 AND (lease_until IS NULL OR lease_until <= $3::bigint))
        OR ($4::boolean AND claimed_by = $1))
      FOR UPDATE SKIP LOCKED)
    RETURNING *`,
  renew: "UPDATE outbound_sms SET lease_until = $1::bigint WHERE state = 'submitting' AND claimed_by = $2",
} as const;

export function pgOutbound(db: Db, gateway: string, lease: Lease = DEFAULT_LEASE): OutboundStore {
  const setState = (c: Queryable, id: number, state: string, error: string | null, now: number) =>
    c.query('UPDATE outbound_sms SET state = $1, error = $2, updated_at = $3 WHERE id = $4', [
      state,
      error,
      now,
      id,
    ]);

  // Only a submitted text takes a receipt; a delivered text carries no error text from earlier attempts.
  // One statement for the batch. A repeated id settles nothing: after its first receipt the text is no
  // longer `submitted` (settled, or it never was), just as SQLite's loop finds it. Only the first of each
  // id goes in the statement (an UPDATE … FROM with two source rows for one target would apply either).
  const settleAll = async (items: ReceiptSettlement[], now: number): Promise<(OutboundSms | undefined)[]> => {
    const seen = new Set<number>();
    const first = items.map((r) => {
      if (seen.has(r.id)) return false;
      seen.add(r.id);
      return true;
    });
    const batch = items.filter((_, i) => first[i]);
    if (batch.length === 0) return items.map(() => undefined);
    const got = await rows<OutboundRow>(
      db,
      `UPDATE outbound_sms o SET state = t.state, error = t.error, updated_at = $1
       FROM unnest($2::bigint[], $3::text[], $4::text[]) AS t(id, state, error)
       WHERE o.id = t.id AND o.state = 'submitted' RETURNING o.*`,
      [
        now,
        batch.map((r) => r.id),
        batch.map((r) => (r.ok ? 'delivered' : 'failed')),
        batch.map((r) => (r.ok ? null : r.detail)),
      ],
    );
    const byId = new Map(got.map((r) => [r.id, toOutbound(r)]));
    return items.map((r, i) => (first[i] ? byId.get(r.id) : undefined));
  };
  return {
    async enqueue(items, now) {
      return tx(db, async (c) => {
        const ids: number[] = [];
        for (const o of items) ids.push(await insertOutbound(c, o, now));
        return ids;
      });
    },
    // Opt-out is checked when a text is claimed, not when it was queued: a STOP in between wins.
    async claim(limit, now, compose) {
      // READ COMMITTED, deliberately not SERIALIZABLE: under it two claimers' reads of the queue conflict with
      // each other's writes and most claims abort and retry (SKIP LOCKED cannot help a snapshot older than the
      // other claimer's commit). FOR UPDATE OF o (the LEFT JOIN's nullable side cannot be locked) SKIP LOCKED
      // leaves texts another node is claiming to it, and holds ours until the update commits; a text changed
      // before the lock is re-checked against the WHERE.
      return tx(
        db,
        async (c) => {
          type Picked = OutboundRow & { opted_out: number | null };
          const heads = await rows<Picked>(c, SQL.pickHeads, [now, limit, lease.holder]);
          const behind =
            heads.length === 0 || heads.length >= limit
              ? []
              : await rows<Picked>(c, SQL.pickBehind, [
                  now,
                  [...new Set(heads.map((h) => h.to_phone))],
                  heads.map((h) => h.id),
                  limit - heads.length,
                ]);
          const all = [...heads, ...behind].sort((a, b) => a.id - b.id);
          if (all.length === 0) return [];
          // A due digest text carries the member's other queued digest texts for the group.
          const carried = new Set<number>();
          const picked: typeof all = [];
          for (const r of all) {
            if (carried.has(Number(r.id))) continue;
            picked.push(r);
            if (!compose || Number(r.digest) !== 1 || r.group_id === null || r.user_id === null) continue;
            if (blockedByOptOut({ optedOut: r.opted_out, ignoreOptOut: r.ignore_opt_out })) continue;
            const parts = await rows<DigestPartRow>(
              c,
              `${DIGEST_PARTS.replace('$g', '$1').replace('$u', '$2')} FOR UPDATE OF o`,
              [r.group_id, r.user_id],
            );
            const plan = planDigest(Number(r.id), r.to_phone, parts, compose);
            if (!plan) continue;
            for (const id of [...plan.carried, ...plan.left]) carried.add(id);
            await c.query(
              "UPDATE outbound_sms SET state = 'cancelled', error = $1, updated_at = $2 WHERE id = ANY($3::bigint[]) AND state = 'queued'",
              [LEFT_TO_INBOX, now, plan.left],
            );
            await c.query(
              "UPDATE outbound_sms SET state = 'digested', carried_by = $1, error = $2, updated_at = $3 WHERE id = ANY($4::bigint[]) AND state = 'queued'",
              [r.id, carriedReason(Number(r.id)), now, plan.carried],
            );
            await c.query('UPDATE outbound_sms SET text = $1, digest = 0 WHERE id = $2', [plan.text, r.id]);
            r.text = plan.text;
          }
          const stop = picked.map((r) =>
            blockedByOptOut({ optedOut: r.opted_out, ignoreOptOut: r.ignore_opt_out }),
          );
          await c.query(SQL.claimPicked, [
            now,
            picked.map((r) => r.id),
            stop.map((s) => (s ? 'cancelled' : 'submitting')),
            stop.map((s) => (s ? CANCEL_REASON.optedOut : null)),
            stop.map((s) => (s ? 0 : 1)),
            lease.holder,
            now + lease.ms,
          ]);
          // Each row as it was read, with only the state, attempts and holder moved on (as SQLite returns it).
          return picked
            .filter((_, i) => !stop[i])
            .map((r) =>
              toOutbound({ ...r, state: 'submitting', attempts: r.attempts + 1, claimed_by: lease.holder }),
            );
        },
        { readCommitted: true },
      );
    },
    async recheck(id, now) {
      // The read and the cancel are one serializable transaction, as they are one step on SQLite: a text
      // that changed in between makes it retry rather than cancel on stale facts.
      return tx(db, async (c) => {
        const facts = await row<TextFacts>(c, SQL.textFacts, [id, lease.holder]);
        const why = recheckVerdict(facts);
        if (why && facts) await setState(c, id, 'cancelled', why, now);
        else if (!why && leaseWantsExtending(facts!.leaseUntil, now, lease))
          await c.query(SQL.extend, [now + lease.ms, id]);
        return why;
      });
    },
    async takeOverInDoubt(now, own) {
      const taken = await rows<OutboundRow>(db, SQL.takeOver, [lease.holder, now + lease.ms, now, own]);
      return taken.sort((a, b) => a.id - b.id).map(toOutbound);
    },
    async renewLeases(now) {
      return changes(db, SQL.renew, [now + lease.ms, lease.holder]);
    },
    async inDoubt() {
      return (
        await rows<OutboundRow>(db, "SELECT * FROM outbound_sms WHERE state = 'submitting' ORDER BY id")
      ).map(toOutbound);
    },
    async markSubmittedMany(items, now) {
      // One statement over arrays instead of one per text (a single statement is its own transaction).
      // The SQLite loop's first entry for an id wins (the later ones find it no longer submitting); an
      // UPDATE ... FROM with two source rows for one target would pick either, so repeats are dropped here.
      const seen = new Set<number>();
      const first = items.filter((r) => !seen.has(r.id) && seen.add(r.id));
      if (first.length === 0) return;
      await db.query(
        `UPDATE outbound_sms o SET state = 'submitted', gateway = $1, gateway_ref = t.ref, gateway_session = t.sess,
           encoding = t.enc, segments = t.seg, updated_at = $2
         FROM unnest($3::bigint[], $4::text[], $5::text[], $6::integer[], $7::text[]) AS t(id, ref, enc, seg, sess)
         WHERE o.id = t.id AND o.state = 'submitting'`,
        [
          gateway,
          now,
          first.map((r) => r.id),
          first.map((r) => r.gatewayRef),
          first.map((r) => r.encoding),
          first.map((r) => r.segments),
          first.map((r) => r.gatewaySession ?? null),
        ],
      );
    },
    async markSubmitted(id, r, now) {
      await db.query(
        `UPDATE outbound_sms SET state = 'submitted', gateway = $1, gateway_ref = $2, encoding = $3, segments = $4,
           updated_at = $5, gateway_session = $7
         WHERE id = $6 AND state = 'submitting'`,
        [gateway, r.gatewayRef, r.encoding, r.segments, now, id, r.gatewaySession ?? null],
      );
    },
    async markFailed(id, error, now) {
      await setState(db, id, 'failed', error, now);
    },
    async requeue(id, error, notBefore, now) {
      await db.query(
        "UPDATE outbound_sms SET state = 'queued', error = $1, not_before = $2, updated_at = $3 WHERE id = $4",
        [error, notBefore, now, id],
      );
    },
    async handBack(id, now) {
      await db.query(
        `UPDATE outbound_sms SET state = 'queued', attempts = attempts - 1, claimed_by = NULL, lease_until = NULL,
           updated_at = $1 WHERE id = $2 AND state = 'submitting' AND claimed_by = $3`,
        [now, id, lease.holder],
      );
    },
    async receiptCandidates(gw, ref) {
      // Gateways echo their reference in another case or without leading zeros: both sides are compared as
      // ltrim(lower(...), '0'), the expression of the outbound_gateway_ref index.
      return (
        await rows<OutboundRow>(
          db,
          `SELECT * FROM outbound_sms WHERE gateway = $1 AND ltrim(lower(gateway_ref), '0') = ltrim(lower($2::text), '0')
             AND gateway_ref IS NOT NULL AND state IN ('submitted','delivered','failed','cancelled')
           ORDER BY id DESC LIMIT 20`,
          [gw, ref],
        )
      ).map(toOutbound);
    },
    async settleReceipt(id, ok, detail, now) {
      return (await settleAll([{ id, ok, detail }], now))[0];
    },
    async settleReceipts(items, now) {
      return settleAll(items, now);
    },
    async get(id) {
      const r = await row<OutboundRow>(db, 'SELECT * FROM outbound_sms WHERE id = $1', [id]);
      return r && toOutbound(r);
    },
    async forMessage(groupId, seq) {
      return (
        await rows<OutboundRow>(
          db,
          'SELECT * FROM outbound_sms WHERE group_id = $1 AND seq = $2 ORDER BY id',
          [groupId, seq],
        )
      ).map(toOutbound);
    },
    async depth() {
      const r = await row<{ n: number }>(
        db,
        "SELECT count(*) AS n FROM outbound_sms WHERE state IN ('queued','submitting')",
      );
      return r?.n ?? 0;
    },
    async countTexts(kinds, toPhone, since) {
      const r =
        toPhone === null
          ? await row<{ n: number }>(
              db,
              'SELECT count(*) AS n FROM outbound_sms WHERE kind = ANY($1::text[]) AND created_at >= $2',
              [kinds, since],
            )
          : await row<{ n: number }>(
              db,
              `SELECT count(*) AS n FROM outbound_sms
               WHERE kind = ANY($1::text[]) AND created_at >= $2 AND to_phone = $3`,
              [kinds, since, toPhone],
            );
      return r?.n ?? 0;
    },
    async textedSeqs(groupId, userId, afterSeq) {
      const rs = await rows<{ seq: number }>(
        db,
        `SELECT seq FROM outbound_sms WHERE group_id = $1 AND user_id = $2 AND seq > $3
         AND kind = 'group_message' AND state IN ('submitting', 'submitted', 'delivered', 'digested')`,
        [groupId, userId, afterSeq],
      );
      return new Set(rs.map((r) => r.seq));
    },
    async inboundSeen(gw, ref) {
      return (
        (await row(db, 'SELECT 1 FROM inbound_seen WHERE gateway = $1 AND ref = $2', [gw, ref])) !== undefined
      );
    },
    async firstInbound(gw, ref, now) {
      return (
        (await changes(
          db,
          'INSERT INTO inbound_seen (gateway, ref, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [gw, ref, now],
        )) === 1
      );
    },
  };
}
