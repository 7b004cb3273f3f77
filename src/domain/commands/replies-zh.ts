// Chinese reply texts. Chinese SMS are UCS-2 (70 characters a part), so these stay terse too.
import { MAX_GROUP_NAME_LENGTH } from './command.ts';
import type { MemberRole, Templates } from './replies.ts';
import { clip, firstMembers } from './replies-en.ts';

const q = (group: string): string => `「${group}」`;

const ROLE: Record<MemberRole, string> = { owner: '（群主）', admin: '（管理员）', member: '' };

const list = (label: string, phones: string[]): string[] =>
  phones.length > 0 ? [`${label} ${phones.join('、')}`] : [];

const SMS_MODE = {
  normal: '不在线时收短信',
  never: '不收短信，消息留在收件箱',
  urgent_only: '只收紧急消息的短信',
  always: '每条消息都发短信',
} as const;

const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;

export const zh: Templates = {
  prefs_set: (r) => {
    const s = r.setting;
    const what =
      s.what === 'sms'
        ? SMS_MODE[s.mode]
        : s.what === 'mute'
          ? s.on
            ? '已免打扰：只留记录，不发短信和提醒。发 取消免打扰 恢复'
            : '已取消免打扰'
          : s.what === 'digest'
            ? s.on
              ? '已开启摘要：一段时间内的消息合成一条短信'
              : '已关闭摘要'
            : s.what === 'quiet'
              ? `静音时段 ${hh(s.start)}-${hh(s.end)}（${s.zone}），紧急消息照发`
              : '已取消静音时段';
    return `群${q(r.group)}：${what}。`;
  },
  invalid_quiet: () => '静音时段格式：静音22-7（0-23点），可加时区：静音22-7 Asia/Shanghai。发 静音关 取消。',
  budget_spent: (r) =>
    `群${q(r.group)}本${r.period === 'day' ? '日' : '月'}短信额度已用完，成员改收收件箱和提醒，额度重置后恢复。`,
  created: (r) =>
    `群${q(r.group)}已创建。发短信到 ${r.address} 即可群发。邀请：发 邀请 <手机号> 到 ${r.address}。`,
  help_service: () => 'Qun：发 建群 <群名> 创建群；发 退订 停止所有短信，发 开通 恢复；发 帮助 查看本说明。',
  help_group: (r) =>
    `群${q(r.group)}：发短信到 ${r.address} 即群发。指令也发到 ${r.address}：邀请 <手机号>、成员、退出、` +
    '踢 <手机号>、管理员 <手机号>、改名 <新群名>。发 退订 停止所有短信。',
  invitation: (r) => `${r.inviter} 邀请您加入群${q(r.group)}。回复 Y 到 ${r.address} 加入，回复 N 拒绝。`,
  added: (r) =>
    `${r.inviter} 已将您加入群${q(r.group)}。发短信到 ${r.address} 群发，发 退出 退群、退订 停收短信。`,
  invite_report: (r) => {
    const parts = [
      ...list('已邀请', r.invited),
      ...list('已加入', r.added),
      ...list('已在群中', r.already),
      ...list('号码无效', r.invalid),
      ...list(`群已满（上限 ${r.cap} 人），未加入`, r.refused_cap),
      ...list('今日邀请已达上限', r.rate_limited ?? []),
      ...list('已退订短信', r.opted_out),
      ...list('不支持的号码', r.not_allowed),
    ];
    return `群${q(r.group)}邀请结果：${parts.length > 0 ? parts.join('；') : '没有邀请任何人'}。`;
  },
  joined: (r) => `您已加入群${q(r.group)}。发短信到 ${r.address} 即可群发，发 退出 退群。`,
  declined: (r) => `您已拒绝加入群${q(r.group)}。`,
  no_invitation: () => '您在这里没有待处理的邀请。',
  removed: (r) => `已将 ${r.phone} 移出群${q(r.group)}。`,
  removed_notice: (r) => `您已被移出群${q(r.group)}。`,
  not_member_phone: (r) => `${clip(r.phone)} 不是本群成员。`,
  admin_granted: (r) => `${r.phone} 已成为群${q(r.group)}的管理员。`,
  admin_notice: (r) => `您已成为群${q(r.group)}的管理员。`,
  left: (r) => `您已退出群${q(r.group)}。`,
  owner_notice: (r) => `您现在是群${q(r.group)}的群主。`,
  members: (r) => {
    const { shown, more } = firstMembers(r.members, r.total);
    const names = shown.map((m) => m.phone + ROLE[m.role]);
    if (more > 0) names.push(`另有 ${more} 人`);
    return `群${q(r.group)}共 ${r.total} 人：${names.join('、')}`;
  },
  renamed: (r) => `群${q(r.old)}已改名为${q(r.name)}。`,
  not_allowed: (r) => `只有群${q(r.group)}的${r.need === 'owner' ? '群主' : '管理员'}可以这样做。`,
  // Identical for unknown groups and non-members, so probing an address reveals nothing.
  no_such_group: () => '您不在此号码对应的群中。',
  unknown_command: () => '无法识别的指令。发 帮助 查看指令。',
  unknown_app: (r) => `未知应用：${clip(r.app)}。`,
  too_long: (r) => `未发送：消息最多 ${r.max} 个字。`,
  invalid_name: (r) =>
    r.reason === 'missing_name' ? '请在指令后写上群名。' : `群名太长，最多 ${MAX_GROUP_NAME_LENGTH} 个字。`,
  invalid_phone: (r) => `无效的手机号码：${clip(r.input)}`,
  stopped: () => 'Qun：您将不再收到短信。发 开通 可恢复。',
  started: () => 'Qun：短信已恢复。发 退订 可停止。',
  announce_only_admins: (r) => `群${q(r.group)}仅限管理员发言，您的消息只发给了管理员。`,
  signin_code: (r) => `Qun 登录验证码：${r.code}，${r.minutes} 分钟内有效。请勿告诉他人。`,
  confirm_needed: (r) => `群${q(r.group)}：请在 ${r.minutes} 分钟内回复 确认${r.code} 以${r.action}。`,
  confirm_failed: (r) => `群${q(r.group)}：验证码错误或已过期，未做任何更改。`,
  confirm_locked: (r) =>
    `群${q(r.group)}：验证码错误次数过多，${r.minutes} 分钟内不接受短信修改成员，请用应用操作。`,
  create_limit: (r) => `您今天已创建 ${r.max} 个群，已达上限，请明天再试。`,
  group_full: (r) => `群${q(r.group)}已满（${r.cap} 人），请联系管理员。`,
  reminder: (r) => `群${q(r.group)}有 ${r.count} 条新消息：${r.url}`,
  media_not_carried: (r) =>
    r.textSent
      ? 'Qun 只转发文字：您消息中的图片未转发，文字已收到。'
      : 'Qun 只转发文字：您的图片未转发，请改发文字。',
};
