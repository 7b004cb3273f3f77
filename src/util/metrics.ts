// Prometheus metrics, defined once. One registry per server instance, so tests can run several.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    accepted: new Counter({
      name: 'qun_messages_accepted_total',
      help: 'Group messages durably accepted, by source',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'qun_messages_duplicate_total',
      help: 'Sends answered from the log because the client message id was seen before',
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'qun_deliveries_total',
      help: 'Per-member delivery steps, by rung and outcome',
      labelNames: ['rung', 'outcome'] as const,
      registers: [registry],
    }),
    policyDecisions: new Counter({
      name: 'qun_policy_decisions_total',
      help: 'Member deliveries whose rung or timing delivery policy chose, by policy reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    smsBudgetRemaining: new Gauge({
      name: 'qun_sms_budget_remaining',
      help: 'Segments a group may still text this UTC day or month (groups with a budget, as last counted)',
      labelNames: ['group_id', 'period'] as const,
      registers: [registry],
    }),
    smsBudgetSpent: new Gauge({
      name: 'qun_sms_budget_spent',
      help: 'Segments a group texted this UTC day or month (groups with a budget, as last counted)',
      labelNames: ['group_id', 'period'] as const,
      registers: [registry],
    }),
    smsSent: new Counter({
      name: 'qun_sms_sent_total',
      help: 'Texts handed to the SMS gateway, by gateway and kind',
      labelNames: ['gateway', 'kind'] as const,
      registers: [registry],
    }),
    smsSegments: new Counter({
      name: 'qun_sms_segments_total',
      help: 'SMS segments handed to the gateway (what carriers bill)',
      labelNames: ['gateway'] as const,
      registers: [registry],
    }),
    smsFailed: new Counter({
      name: 'qun_sms_failed_total',
      help: 'Texts that failed, by reason',
      labelNames: ['gateway', 'reason'] as const,
      registers: [registry],
    }),
    smsInDoubt: new Counter({
      name: 'qun_sms_in_doubt_total',
      help: 'Texts whose submit outcome was unknown after a crash or lost response',
      registers: [registry],
    }),
    smsQueueDepth: new Gauge({
      name: 'qun_sms_queue_depth',
      help: 'Texts queued or being submitted',
      registers: [registry],
    }),
    inbound: new Counter({
      name: 'qun_sms_inbound_total',
      help: 'Inbound texts, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    liveConnections: new Gauge({
      name: 'qun_live_connections',
      help: 'Authenticated live connections on this node',
      registers: [registry],
    }),
    pushes: new Counter({
      name: 'qun_webpush_total',
      help: 'Web Push reminders, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'qun_rate_limited_total',
      help: 'Requests refused by a rate limit or cap, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    receipts: new Counter({
      name: 'qun_sms_receipts_total',
      help: 'Delivery receipts, by outcome (delivered, failed, unmatched)',
      labelNames: ['gateway', 'outcome'] as const,
      registers: [registry],
    }),
    receiptLatency: new Histogram({
      name: 'qun_sms_receipt_latency_seconds',
      help: 'From queueing a text to its delivery receipt',
      labelNames: ['gateway'] as const,
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 3600],
      registers: [registry],
    }),
    throttled: new Counter({
      name: 'qun_sms_throttle_events_total',
      help: 'Times the gateway asked Qun to slow down (ESME_RTHROTTLED, 429, queue full)',
      labelNames: ['gateway'] as const,
      registers: [registry],
    }),
    jobOverlaps: new Counter({
      name: 'qun_job_overlaps_skipped_total',
      help: 'Background job ticks skipped because the previous run was still going',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    reminders: new Counter({
      name: 'qun_reminders_total',
      help: 'Inbox reminders, by the channel that carried them (web_push, wap_push, sms, none) and outcome',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    mediaDropped: new Counter({
      name: 'qun_sms_media_not_carried_total',
      help: 'Inbound picture messages (MMS) whose media Qun does not carry; the sender is told by reply',
      labelNames: ['gateway'] as const,
      registers: [registry],
    }),
    reminderScan: new Histogram({
      name: 'qun_reminder_scan_seconds',
      help: 'Duration of one reminder scan',
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
