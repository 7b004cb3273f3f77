// The one configuration schema: every setting's environment name, default, reason and validation.
// docs/configuration.md is checked against this table by a test, so the two cannot drift.
import { z } from 'zod';
import { bool, duration, int, s } from './setting.ts';

export type { Setting } from './setting.ts';

export const SETTINGS = {
  port: s('PORT', '8080', 'the usual port for an app server behind a proxy', int(0, 65535)),
  host: s(
    'QUN_HOST',
    '127.0.0.1',
    'loopback until the operator decides to expose Qun (set 0.0.0.0 to reach /m from a phone on the LAN)',
    z.string().min(1),
  ),
  publicUrl: s(
    'QUN_PUBLIC_URL',
    undefined,
    'the address members use, put into SMS links and push payloads; defaults to http://localhost:PORT',
    z.string().url().optional(),
  ),
  dataDir: s(
    'QUN_DATA_DIR',
    './data',
    'one folder holds the SQLite file (the VAPID key pair is kept in the store)',
    z.string().min(1),
  ),
  databaseUrl: s(
    'QUN_DATABASE_URL',
    undefined,
    'unset keeps the embedded SQLite file in QUN_DATA_DIR; a postgres:// URL puts the store on PostgreSQL',
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
      .optional(),
  ),
  redisUrl: s(
    'QUN_REDIS_URL',
    undefined,
    'unset keeps presence in the store and hints in process (one node); a redis:// URL shares presence and wake-up hints between several nodes on one PostgreSQL',
    z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .optional(),
  ),
  databasePool: s(
    'QUN_DATABASE_POOL',
    '20',
    'PostgreSQL connections per node: reads, acks and appends run side by side instead of queueing on a few; nodes × this must fit max_connections',
    int(1, 1000),
  ),
  sqliteCheckpoint: s(
    'QUN_SQLITE_CHECKPOINT',
    'auto',
    'auto leaves the SQLite WAL checkpoint to SQLite, inside the commit that takes the WAL past 10,000 pages (~40 MB); worker runs it in a thread of its own, off the event loop, for ~18 MB more memory',
    z.enum(['worker', 'auto']),
  ),
  logLevel: s(
    'QUN_LOG_LEVEL',
    'info',
    'start-up, gateway and alarm lines without per-message noise',
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  ),
  adminKey: s(
    'QUN_ADMIN_KEY',
    undefined,
    'no default: the operator API stays closed until a key of at least 16 characters is set',
    z.string().min(16).optional(),
  ),
  apps: s(
    'QUN_APPS',
    '01=group-chat,02=announcements',
    'app number = app kind; the first is what CREATE at the service number makes',
    z.string().min(1),
  ),
  smsGateway: s(
    'QUN_SMS_GATEWAY',
    'sim',
    'the simulator lets a newcomer try every kind of member without a phone',
    z.string(),
  ),
  serviceNumber: s(
    'QUN_SERVICE_NUMBER',
    '10658',
    'a typical Chinese SP access code; the prefix of every group address',
    z.string().regex(/^\+?\d{3,15}$/, 'digits only (3 to 15), optional leading +'),
  ),
  smsAddressing: s(
    'QUN_SMS_ADDRESSING',
    'extended',
    'extended gives each group its own number (service + app + group); single is for gateways with one plain number',
    z.enum(['extended', 'single']),
  ),
  smsNumber: s(
    'QUN_SMS_NUMBER',
    undefined,
    'the one number texts come from and go to in single-number mode (defaults to the service number)',
    z
      .string()
      .regex(/^\+?\d{3,15}$/, 'digits only (3 to 15), optional leading +')
      .optional(),
  ),
  appNumberWidth: s(
    'QUN_APP_NUMBER_WIDTH',
    '2',
    'fixed width so that an address splits without ambiguity; 2 digits allow 100 apps',
    int(1, 4),
  ),
  defaultRegion: s(
    'QUN_DEFAULT_REGION',
    'CN',
    'numbers typed without a country code are read in this region (ISO 3166 code)',
    z.string().regex(/^[A-Z]{2}$/, 'a two-letter ISO 3166 region code such as CN or GB'),
  ),
  maxMessageChars: s(
    'QUN_MAX_MESSAGE_CHARS',
    '2000',
    'long enough for a notice, short enough that one message cannot cost dozens of SMS',
    int(1, 100_000),
  ),
  memberCapDefault: s('QUN_MEMBER_CAP', '500', 'a new group holds this many members', int(2, 1_000_000)),
  memberCapMax: s(
    'QUN_MEMBER_CAP_MAX',
    '5000',
    'the most an operator allows any group; SMS fan-out cost grows with it',
    int(2, 1_000_000),
  ),
  signinCodeTtl: s(
    'QUN_SIGNIN_CODE_TTL',
    '5m',
    'long enough to read a text, short enough to be useless if leaked',
    duration,
  ),
  signinCodesPerHour: s(
    'QUN_SIGNIN_CODES_PER_HOUR',
    '5',
    'per phone number: sign-in codes cost an SMS each and are an SMS-pumping target',
    int(1, 1000),
  ),
  invitesPerDay: s(
    'QUN_INVITES_PER_DAY',
    '200',
    'per inviting member: invitation texts cost money and can be abused',
    int(1, 1_000_000),
  ),
  codesPerAddressPerHour: s(
    'QUN_SIGNIN_CODES_PER_ADDRESS_PER_HOUR',
    '20',
    'per client IP: one address asking codes for many numbers is the usual SMS-pumping pattern',
    int(1, 100_000),
  ),
  invitesPerNumberPerDay: s(
    'QUN_INVITES_PER_NUMBER_PER_DAY',
    '5',
    'invitation texts one number receives per day, whoever invites it',
    int(1, 10_000),
  ),
  smsDailyCap: s(
    'QUN_SMS_DAILY_CAP',
    '5000',
    'sign-in codes, invitations and command replies together per day: a ceiling on what strangers can make Qun spend',
    int(1, 100_000_000),
  ),
  smsRepliesPerHour: s(
    'QUN_SMS_REPLIES_PER_HOUR',
    '20',
    'per phone: replies to its texts each hour; a busy admin needs a few, a pumping script gets nothing more',
    int(1, 100_000),
  ),
  groupsPerPhonePerDay: s(
    'QUN_GROUPS_PER_PHONE_PER_DAY',
    '10',
    'groups one number may create per day: plenty for an organiser, too few to farm replies or rows',
    int(1, 100_000),
  ),
  smsAllowedRegions: s(
    'QUN_SMS_ALLOWED_REGIONS',
    undefined,
    "regions whose numbers may get sign-in codes and invitations; unset: QUN_DEFAULT_REGION and the SMS number's own region",
    z
      .string()
      .regex(
        /^(\*|(\d{3}|[A-Z]{2})(,(\d{3}|[A-Z]{2}))*)$/,
        '* or ISO 3166 codes (001: non-geographic), e.g. CN,GB',
      )
      .optional(),
  ),
  smsAllowedTypes: s(
    'QUN_SMS_ALLOWED_TYPES',
    'MOBILE,FIXED_LINE_OR_MOBILE',
    'number types that may get sign-in codes and invitations: premium-rate, shared-cost and similar numbers pay the fraudster',
    z
      .string()
      .regex(
        /^(FIXED_LINE|MOBILE|FIXED_LINE_OR_MOBILE|PREMIUM_RATE|TOLL_FREE|SHARED_COST|VOIP|PERSONAL_NUMBER|PAGER|UAN|VOICEMAIL)(,(FIXED_LINE|MOBILE|FIXED_LINE_OR_MOBILE|PREMIUM_RATE|TOLL_FREE|SHARED_COST|VOIP|PERSONAL_NUMBER|PAGER|UAN|VOICEMAIL))*$/,
        'libphonenumber number types, e.g. MOBILE,FIXED_LINE_OR_MOBILE',
      ),
  ),
  sessionTtl: s(
    'QUN_SESSION_TTL',
    '30d',
    'a phone stays signed in for a month, like other messengers',
    duration,
  ),
  liveAckTimeout: s(
    'QUN_LIVE_ACK_TIMEOUT',
    '10s',
    'a healthy client acks in milliseconds; 10 s rides out a mobile network stall before falling back',
    duration,
  ),
  liveHeartbeat: s(
    'QUN_LIVE_HEARTBEAT',
    '15s',
    'ping interval; a socket that misses one pong is closed, so a dead link is found within 2 intervals',
    duration,
  ),
  liveMaxPerAddress: s(
    'QUN_LIVE_MAX_PER_ADDRESS',
    '200',
    'live sockets one client address may hold: enough for a family or an office behind NAT, not for a flood',
    int(1, 1_000_000),
  ),
  nodeId: s(
    'QUN_NODE_ID',
    undefined,
    "this machine's host name: stable across restarts, so a restarted node finds the presence it left; set one per node when several share a host",
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, '1 to 64 letters, digits, dots, dashes or underscores')
      .optional(),
  ),
  lease: s(
    'QUN_LEASE',
    '30s',
    'work a node claimed (due reminders, texts in flight, the retention run) is taken over by another node this long after the node died; a live node renews its texts, and a reminder pass takes far less',
    duration,
  ),
  webOnlineTtl: s(
    'QUN_WEB_ONLINE_TTL',
    '120s',
    'a mobile inbox that fetched this recently is treated as being read',
    duration,
  ),
  reminderScanInterval: s(
    'QUN_REMINDER_SCAN_INTERVAL',
    '30s',
    'how often unread inboxes are looked for',
    duration,
  ),
  reminderDelay: s(
    'QUN_REMINDER_DELAY',
    '10m',
    'an inbox item not fetched for this long earns one reminder',
    duration,
  ),
  escalateDelay: s(
    'QUN_ESCALATE_DELAY',
    '10m',
    'in groups with escalation on, an item still unread this long after its reminder goes by SMS',
    duration,
  ),
  vapidSubject: s(
    'QUN_VAPID_SUBJECT',
    'mailto:admin@localhost',
    'push services want a contact for the sender; set your own mailto: or https: address',
    z.string().regex(/^(mailto:|https:)/, 'a mailto: or https: URL'),
  ),
  smsTps: s(
    'QUN_SMS_TPS',
    '0',
    'texts per second towards the gateway; 0 means no limit (the simulator)',
    int(0, 100_000),
  ),
  smsMaxSegments: s(
    'QUN_SMS_MAX_SEGMENTS',
    '6',
    'a longer group message is cut with a link to the inbox, so one message costs at most this many segments',
    int(1, 255),
  ),
  smsSegmentPrice: s(
    'QUN_SMS_SEGMENT_PRICE',
    '0.05',
    'what one SMS segment costs you, in your currency: the dashboard estimates spend per group with it',
    z.coerce.number().min(0).max(1000),
  ),
  smsBudgetDay: s(
    'QUN_SMS_BUDGET_DAY',
    '0',
    'segments a group may text per UTC day unless its owner sets less; 0 = no daily budget',
    int(0, 100_000_000),
  ),
  smsBudgetMonth: s(
    'QUN_SMS_BUDGET_MONTH',
    '0',
    'segments a group may text per UTC month unless its owner sets less; 0 = no monthly budget',
    int(0, 1_000_000_000),
  ),
  smsBudgetDayCeiling: s(
    'QUN_SMS_BUDGET_DAY_CEILING',
    '0',
    'the most an owner may set as the daily budget; 0 = no ceiling',
    int(0, 100_000_000),
  ),
  smsBudgetMonthCeiling: s(
    'QUN_SMS_BUDGET_MONTH_CEILING',
    '0',
    'the most an owner may set as the monthly budget; 0 = no ceiling',
    int(0, 1_000_000_000),
  ),
  digestWindow: s(
    'QUN_DIGEST_WINDOW',
    '15m',
    "digest members get one group's texts within this window as one text",
    duration,
  ),
  smartSubstitution: s(
    'QUN_SMS_SMART_SUBSTITUTION',
    'true',
    'one curly quote would otherwise switch a text to UCS-2 and double its cost',
    bool,
  ),
  wapPushUrl: s(
    'QUN_WAP_PUSH_URL',
    undefined,
    "unset, no WAP Push; a push proxy gateway's PAP URL (Kannel wapbox: http://host:8080/wappush) sends members without Web Push their reminder as a WAP Push Service Indication",
    z.string().url().optional(),
  ),
  wapPushUsername: s(
    'QUN_WAP_PUSH_USERNAME',
    undefined,
    "the PPG's push user (Kannel's ppg-username or a wap-push-user), sent as ?username=",
    z.string().min(1).optional(),
  ),
  wapPushPassword: s(
    'QUN_WAP_PUSH_PASSWORD',
    undefined,
    "that push user's password, sent as ?password=",
    z.string().min(1).optional(),
  ),
  reminderSms: s(
    'QUN_REMINDER_SMS',
    'true',
    'a member with neither Web Push nor WAP Push gets the reminder as one SMS with the inbox link, so the reminder always reaches someone',
    bool,
  ),
  retentionDays: s(
    'QUN_RETENTION_DAYS',
    '0',
    'history is kept until the operator chooses a limit; a group may set its own (qun retention)',
    int(0, 36_500),
  ),
  retentionInterval: s(
    'QUN_RETENTION_INTERVAL',
    '1h',
    'how often the retention job deletes expired history, in batches',
    duration,
  ),
} as const;

export type SettingKey = keyof typeof SETTINGS;
