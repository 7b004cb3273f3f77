// The /m page's words in English and Chinese, the language and time zone a request gets (switch cookie,
// else Accept-Language; the phone's country, else UTC), and times rendered through Intl in that zone.
export type PageLang = 'en' | 'zh-CN';

const en = {
  tagline: 'Your group messages, on any phone.',
  signInTitle: 'Sign in',
  signInWithCode: 'Sign in with your code',
  codeSentTo: 'We texted a code to {phone}.',
  yourPhone: 'your phone',
  phone: 'Phone number',
  code: 'Code',
  signIn: 'Sign in',
  getCode: 'Get a sign-in code',
  sendAnother: 'No code? Send another',
  textMe: 'Text me a code',
  inboxTitle: 'Inbox',
  signedInAs: 'Signed in as {who}',
  refresh: 'Refresh',
  newCount: '{n} new',
  noNew: 'No new messages.',
  moreNew: 'More new messages: refresh to see them.',
  noMessages: 'No messages yet.',
  earlier: 'Earlier messages',
  later: 'Later messages',
  backToInbox: 'Back to the inbox',
  you: 'you',
  bySms: 'sent to you by SMS',
  isNew: 'new',
  replyTo: 'Reply to {name}',
  send: 'Send',
  noGroups: 'You are in no groups yet. Accept an invitation by texting Y, or create one with CREATE name.',
  updated: 'Updated {time}; this page refreshes every {n} s.',
  enableReminders: 'Enable reminders',
  signOut: 'Sign out',
  language: 'Language',
  timeZone: 'Time zone',
  setZone: 'Set',
  smsAddress: 'SMS: {address}',
  error: 'Something went wrong.',
} as const;

export type PageKey = keyof typeof en;

const zh: Record<PageKey, string> = {
  tagline: '你的群消息，任何手机都能收。',
  signInTitle: '登录',
  signInWithCode: '用验证码登录',
  codeSentTo: '验证码已发送到 {phone}。',
  yourPhone: '你的手机',
  phone: '手机号码',
  code: '验证码',
  signIn: '登录',
  getCode: '获取登录验证码',
  sendAnother: '没收到？再发一次',
  textMe: '发短信验证码',
  inboxTitle: '收件箱',
  signedInAs: '当前登录：{who}',
  refresh: '刷新',
  newCount: '{n} 条新消息',
  noNew: '没有新消息。',
  moreNew: '还有新消息：刷新查看。',
  noMessages: '还没有消息。',
  earlier: '更早的消息',
  later: '较新的消息',
  backToInbox: '返回收件箱',
  you: '你',
  bySms: '已通过短信发给你',
  isNew: '新',
  replyTo: '回复 {name}',
  send: '发送',
  noGroups: '你还没有加入任何群组。回复 Y 接受邀请，或发送 CREATE 群名 创建一个。',
  updated: '更新于 {time}；此页面每 {n} 秒刷新一次。',
  enableReminders: '开启提醒',
  signOut: '退出登录',
  language: '语言',
  timeZone: '时区',
  setZone: '设置',
  smsAddress: '短信：{address}',
  error: '出错了。',
};

/** Error texts of the codes a sign-in form can meet, in Chinese (the catalogue's own messages are English). */
const zhErrors: Record<string, string> = {
  invalid_code: '验证码错误或已过期。',
  invalid_phone: '这不是有效的手机号码。',
  rate_limited: '请求太频繁，请稍后再试。',
  validation: '输入有误。',
  empty_message: '消息是空的。',
  message_too_long: '消息太长。',
};

export function text(lang: PageLang, key: PageKey, vars: Record<string, string | number> = {}): string {
  const s = lang === 'zh-CN' ? zh[key] : en[key];
  return s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

export function errorText(lang: PageLang, code: string | undefined, english: string): string {
  return lang === 'zh-CN' ? (zhErrors[code ?? ''] ?? zh.error) : english;
}

/** The switch cookie's choice, else the first language of Accept-Language that we have. */
export function pageLang(cookie: string | undefined, acceptLanguage: string | undefined): PageLang {
  if (cookie === 'en' || cookie === 'zh-CN') return cookie;
  const tags = (acceptLanguage ?? '')
    .split(',')
    .map((p) => {
      const [tag, ...params] = p.trim().split(';');
      const q = params.find((x) => x.trim().startsWith('q='));
      return { tag: (tag ?? '').toLowerCase(), q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .filter((x) => x.tag)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of tags) {
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Zones offered by the switch (a feature phone has no way to tell its own). */
export const ZONES = [
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Taipei',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'UTC',
];

// By country calling code: a number says its country, and these countries have one usual zone.
const ZONE_OF_CODE: [string, string][] = [
  ['+86', 'Asia/Shanghai'],
  ['+852', 'Asia/Hong_Kong'],
  ['+853', 'Asia/Macau'],
  ['+886', 'Asia/Taipei'],
  ['+65', 'Asia/Singapore'],
  ['+60', 'Asia/Kuala_Lumpur'],
  ['+81', 'Asia/Tokyo'],
  ['+82', 'Asia/Seoul'],
  ['+91', 'Asia/Kolkata'],
  ['+44', 'Europe/London'],
  ['+353', 'Europe/Dublin'],
  ['+49', 'Europe/Berlin'],
  ['+33', 'Europe/Paris'],
  ['+31', 'Europe/Amsterdam'],
  ['+34', 'Europe/Madrid'],
  ['+39', 'Europe/Rome'],
  ['+64', 'Pacific/Auckland'],
];

export function validZone(z: string | undefined): string | undefined {
  if (!z || z.length > 64) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: z });
    return z;
  } catch {
    return undefined;
  }
}

/** The member's zone: the switch cookie, else the usual zone of the phone's country, else UTC. */
export function memberZone(cookie: string | undefined, phone: string): string {
  const chosen = validZone(cookie);
  if (chosen) return chosen;
  // Longest code first: +852 is Hong Kong, not a +85 country.
  const hit = [...ZONE_OF_CODE]
    .sort((a, b) => b[0].length - a[0].length)
    .find(([code]) => phone.startsWith(code));
  return hit?.[1] ?? 'UTC';
}

/** `YYYY-MM-DD HH:MM` in the zone, with the zone's short name (UTC, GMT+8), through Intl. */
export function formatInZone(
  at: number | string,
  timeZone: string,
  lang: PageLang = 'en',
): string | undefined {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return undefined;
  const parts = new Intl.DateTimeFormat(lang === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(d);
  const p = (t: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')} ${p('timeZoneName')}`;
}
