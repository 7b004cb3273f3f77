// The web app's message catalogue (en and zh-CN), the language choice (stored, else the browser's), and
// dates through Intl. Pure apart from reading navigator/localStorage lazily, so tests can import it.
export const en = {
  appName: 'Qun',
  language: 'Language',
  signIn: 'Sign in',
  phone: 'Phone number',
  textMeCode: 'Text me a code',
  code: 'Code',
  codeSent: 'We texted a code to {phone}. It is valid for {min} min.',
  useAnother: 'Use another number',
  simHint: 'Testing with the simulator? The code arrives on the simulated phone.',
  basicHint: 'On a basic phone, use the mobile inbox.',
  openSim: 'Simulated phones',
  openMobile: 'Mobile inbox',
  live: 'live',
  connecting: 'connecting…',
  reconnecting: 'reconnecting…',
  offline: 'offline',
  groups: 'Groups',
  noGroups: 'No groups yet: create one below, or accept an invitation.',
  invitations: 'Invitations',
  invitedBy: 'from {who}',
  accept: 'Accept',
  decline: 'Decline',
  newGroup: 'New group',
  name: 'Name',
  create: 'Create',
  pickGroup: 'Pick a group to start chatting.',
  backToGroups: 'Groups',
  smsAddress: 'SMS address {address}',
  leave: 'Leave',
  leaveConfirm: 'Leave {name}?',
  message: 'Message',
  send: 'Send',
  sending: 'sending…',
  notSent: 'not sent: {why}',
  retry: 'Retry',
  discard: 'Discard',
  older: 'Load older messages',
  loadingOlder: 'loading…',
  historyStart: 'This is the start of the conversation.',
  newMessages: 'New messages',
  unreadCount: '{n} unread',
  counter: '{n} characters · {enc} · {parts} SMS',
  counterLong: 'too long for SMS members: at most {max} SMS',
  encGsm: 'GSM-7',
  encUcs: 'UCS-2 (Chinese, emoji)',
  members: 'Members',
  close: 'Close',
  cancel: 'Cancel',
  roleOwner: 'owner',
  roleAdmin: 'admin',
  roleMember: 'member',
  you: 'you',
  remove: 'Remove',
  removeConfirm: 'Remove {name} from the group?',
  makeAdmin: 'Make admin',
  invite: 'Invite',
  inviteLabel: 'Invite by phone number (several: separate with commas)',
  inviteInvited: 'invited',
  inviteAdded: 'added',
  inviteAlready: 'already members',
  inviteInvalid: 'not valid numbers',
  inviteCap: 'refused: the group is full',
  inviteOptedOut: 'opted out of texts',
  inviteRate: 'too many invitations today, try later',
  rename: 'Rename',
  groupName: 'Group name',
  groupSettings: 'Group settings',
  invitePolicy: 'Invitations',
  policyConfirm: 'invitees confirm (Y/N)',
  policyDirect: 'invitees are added directly',
  escalate: 'Text members who leave the inbox unread',
  memberCap: 'Member cap',
  save: 'Save',
  saved: 'Saved.',
  settings: 'Settings',
  displayName: 'Display name',
  signOut: 'Sign out',
  signOutAll: 'Sign out everywhere',
  signedInAs: 'Signed in as {who}',
  notifications: 'Notifications',
  pushOn: 'Reminders are on: this browser is notified when messages wait for you.',
  pushOff: 'Get a notification when messages wait for you.',
  pushEnable: 'Enable reminders',
  pushAsking: 'Asking for permission…',
  pushDenied: 'Notifications are blocked for this site in the browser settings.',
  pushRefused: 'Reminders stay off: notifications were not allowed.',
  pushTimeout: 'The browser did not answer. Check this site’s notification settings and try again.',
  pushUnsupported: 'This browser cannot show notifications.',
  pushFailed: 'Could not turn reminders on: {why}',
  delivery: 'Delivery',
  deliveryOf: 'Who got this message and how',
  ticksStored: 'stored',
  ticksAll: 'delivered to everyone',
  ticksSome: 'delivered to {n} of {m}',
  ticksLabel: 'Delivery: {state}. Show details',
  stepsNone: 'nothing yet',
  rung_live: 'live',
  rung_inbox: 'inbox',
  rung_sms: 'SMS',
  rung_reminder: 'reminder',
  rung_escalation: 'escalation',
  rung_none: 'sender',
  out_acked: 'acknowledged',
  out_sent: 'sent',
  out_ack_timeout: 'no answer',
  out_no_ack: 'no answer',
  out_fetched: 'read in the inbox',
  out_shown: 'shown',
  out_waiting: 'waiting',
  out_queued: 'queued',
  out_sms_queued: 'queued for SMS',
  out_submitting: 'being handed to the gateway',
  out_skipped: 'skipped',
  out_unmatched: 'receipt without a text',
  out_submitted: 'handed to the SMS gateway',
  out_delivered: 'delivered (receipt)',
  out_failed: 'failed',
  out_rejected: 'rejected',
  out_retry: 'retrying',
  out_cancelled: 'cancelled',
  out_reminded: 'reminded',
  out_gone: 'subscription gone',
  out_sender: 'sent it',
  out_other: 'other',
  error: 'Something went wrong.',
  offlineTitle: 'You are offline',
} as const;

export type MsgKey = keyof typeof en;

export const zh: Record<MsgKey, string> = {
  appName: '群',
  language: '语言',
  signIn: '登录',
  phone: '手机号码',
  textMeCode: '发短信验证码',
  code: '验证码',
  codeSent: '验证码已发送到 {phone}，{min} 分钟内有效。',
  useAnother: '换一个号码',
  simHint: '使用模拟器测试？验证码会出现在模拟手机上。',
  basicHint: '普通手机请使用手机收件箱。',
  openSim: '模拟手机',
  openMobile: '手机收件箱',
  live: '在线',
  connecting: '正在连接…',
  reconnecting: '正在重新连接…',
  offline: '离线',
  groups: '群组',
  noGroups: '还没有群组：在下面创建一个，或接受邀请。',
  invitations: '邀请',
  invitedBy: '来自 {who}',
  accept: '接受',
  decline: '拒绝',
  newGroup: '新建群组',
  name: '名称',
  create: '创建',
  pickGroup: '选择一个群组开始聊天。',
  backToGroups: '群组',
  smsAddress: '短信地址 {address}',
  leave: '退出',
  leaveConfirm: '退出 {name}？',
  message: '消息',
  send: '发送',
  sending: '发送中…',
  notSent: '未发送：{why}',
  retry: '重试',
  discard: '放弃',
  older: '加载更早的消息',
  loadingOlder: '加载中…',
  historyStart: '这是对话的开头。',
  newMessages: '新消息',
  unreadCount: '{n} 条未读',
  counter: '{n} 个字符 · {enc} · {parts} 条短信',
  counterLong: '对短信成员太长：最多 {max} 条短信',
  encGsm: 'GSM-7',
  encUcs: 'UCS-2（中文、表情）',
  members: '成员',
  close: '关闭',
  cancel: '取消',
  roleOwner: '群主',
  roleAdmin: '管理员',
  roleMember: '成员',
  you: '你',
  remove: '移除',
  removeConfirm: '将 {name} 移出群组？',
  makeAdmin: '设为管理员',
  invite: '邀请',
  inviteLabel: '按手机号码邀请（多个号码用逗号分隔）',
  inviteInvited: '已邀请',
  inviteAdded: '已加入',
  inviteAlready: '已是成员',
  inviteInvalid: '号码无效',
  inviteCap: '被拒绝：群已满',
  inviteOptedOut: '已退订短信',
  inviteRate: '今天邀请太多，请稍后再试',
  rename: '改名',
  groupName: '群名称',
  groupSettings: '群设置',
  invitePolicy: '邀请方式',
  policyConfirm: '受邀者需确认（Y/N）',
  policyDirect: '受邀者直接加入',
  escalate: '收件箱未读时改发短信',
  memberCap: '成员上限',
  save: '保存',
  saved: '已保存。',
  settings: '设置',
  displayName: '显示名称',
  signOut: '退出登录',
  signOutAll: '在所有设备上退出',
  signedInAs: '当前登录：{who}',
  notifications: '通知',
  pushOn: '提醒已开启：有消息等你时，此浏览器会收到通知。',
  pushOff: '有消息等你时收到通知。',
  pushEnable: '开启提醒',
  pushAsking: '正在请求权限…',
  pushDenied: '浏览器设置中已禁止本站的通知。',
  pushRefused: '提醒未开启：未允许通知。',
  pushTimeout: '浏览器没有响应。请检查本站的通知设置后重试。',
  pushUnsupported: '此浏览器无法显示通知。',
  pushFailed: '无法开启提醒：{why}',
  delivery: '送达',
  deliveryOf: '谁收到了这条消息，怎样收到的',
  ticksStored: '已保存',
  ticksAll: '已送达所有人',
  ticksSome: '已送达 {n}/{m} 人',
  ticksLabel: '送达情况：{state}。查看详情',
  stepsNone: '暂无',
  rung_live: '在线',
  rung_inbox: '收件箱',
  rung_sms: '短信',
  rung_reminder: '提醒',
  rung_escalation: '转短信',
  rung_none: '发送者',
  out_acked: '已确认',
  out_sent: '已发出',
  out_ack_timeout: '无应答',
  out_no_ack: '无应答',
  out_fetched: '已在收件箱阅读',
  out_shown: '已显示',
  out_waiting: '等待中',
  out_queued: '排队中',
  out_sms_queued: '等待发短信',
  out_submitting: '正在交给网关',
  out_skipped: '已跳过',
  out_unmatched: '回执无对应短信',
  out_submitted: '已交给短信网关',
  out_delivered: '已送达（回执）',
  out_failed: '失败',
  out_rejected: '被拒绝',
  out_retry: '重试中',
  out_cancelled: '已取消',
  out_reminded: '已提醒',
  out_gone: '订阅已失效',
  out_sender: '发送了它',
  out_other: '其他',
  error: '出错了。',
  offlineTitle: '你已离线',
};

export type Lang = 'en' | 'zh-CN';
const LANG_KEY = 'qun.lang';
let current: Lang = 'en';

/** The stored choice, else the browser's first language that we have. */
export function detectLang(stored: string | null, browser: readonly string[]): Lang {
  if (stored === 'en' || stored === 'zh-CN') return stored;
  for (const l of browser) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

export function initLang(): Lang {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(LANG_KEY);
  } catch {
    // storage can be off; the browser's language still applies
  }
  return setLang(detectLang(stored, navigator.languages ?? [navigator.language]), false);
}

export function setLang(l: Lang, remember = true): Lang {
  current = l;
  if (remember) {
    try {
      localStorage.setItem(LANG_KEY, l);
    } catch {
      // not remembered, still switched
    }
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l;
  return l;
}

export const lang = (): Lang => current;

export function t(key: MsgKey, vars: Record<string, string | number> = {}): string {
  const text = current === 'zh-CN' ? zh[key] : en[key];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

/** A catalogue key for a trail word, or the raw word when it is new to us. */
export function word(prefix: 'rung' | 'out', w: string): string {
  const key = `${prefix}_${w}` as MsgKey;
  return key in en ? t(key) : w;
}

export function formatTime(at: number): string {
  const d = new Date(at);
  const sameDay = d.toDateString() === new Date().toDateString();
  const opts: Intl.DateTimeFormatOptions = sameDay
    ? { hour: '2-digit', minute: '2-digit' }
    : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(current, opts).format(d);
}
