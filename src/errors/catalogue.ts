// The error catalogue: every error a client can see, with a stable code, its HTTP status and a
// message. Codes are never reused or renumbered; docs/api.md#errors lists them.
export const ERRORS = {
  bad_request: { status: 400, message: 'The request is malformed.' },
  validation: { status: 400, message: 'The request does not match the schema.' },
  invalid_phone: { status: 400, message: 'That is not a valid phone number.' },
  number_not_allowed: { status: 400, message: 'Qun does not text this kind of number or region.' },
  invalid_name: { status: 400, message: 'Names are 1 to 40 printable characters.' },
  invalid_preferences: {
    status: 400,
    message:
      'Preferences: smsMode normal, never, urgent_only or always; quiet hours 0-23 that differ; a known zone.',
  },
  budget_above_ceiling: { status: 400, message: 'That SMS budget is above the ceiling the operator set.' },
  message_too_long: { status: 400, message: 'The message is longer than the configured maximum.' },
  empty_message: { status: 400, message: 'The message is empty.' },
  invalid_characters: { status: 400, message: 'Text may not contain NUL characters.' },
  invalid_utf8: { status: 400, message: 'The request body is not valid UTF-8.' },
  unauthenticated: { status: 401, message: 'Sign in first: send a valid bearer token.' },
  invalid_code: { status: 401, message: 'The sign-in code is wrong or has expired.' },
  forbidden: { status: 403, message: 'Your role in this group does not allow that.' },
  admin_key_required: { status: 403, message: 'This operator route needs the admin API key.' },
  origin_refused: { status: 403, message: 'WebSocket connections from this origin are refused.' },
  not_found: { status: 404, message: 'No such resource, or you may not see it.' },
  no_invitation: { status: 404, message: 'You have no pending invitation to this group.' },
  conflict: { status: 409, message: 'The request conflicts with the current state; retry.' },
  already_member: { status: 409, message: 'Already a member.' },
  member_cap: { status: 409, message: 'The group has reached its member cap.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Send JSON (application/json).' },
  upgrade_required: {
    status: 426,
    message: 'This address speaks WebSocket only: send an Upgrade request (docs/protocol.md).',
  },
  rate_limited: { status: 429, message: 'Too many requests; try again later.' },
  internal: { status: 500, message: 'Something went wrong on our side; nothing was changed.' },
  unavailable: { status: 503, message: 'The server is shutting down or not ready.' },
  storage_unavailable: {
    status: 503,
    message:
      'Storage is unavailable (disk full, read-only, or the database unreachable); nothing was changed. Retry later.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error a client is meant to see; rendered in one place (http/errors-plugin.ts). */
export class QunError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERRORS[code].message);
    this.name = 'QunError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}
