// SMS addressing: a group's number is <service number><app number><group number>; the service
// number alone addresses commands that name no group.
export interface AddressPlan {
  serviceNumber: string;
  appNumberWidth: number;
  /**
   * extended: each group has its own number (service + app + group), as Chinese SP numbers allow;
   * single: the gateway gives one plain number; texts carry a group tag and `#<group number>` picks a group.
   */
  mode: 'extended' | 'single';
  /** The one number in single mode. */
  singleNumber: string;
}

/** The number a group's texts come from. */
export function smsFrom(plan: AddressPlan, appNumber: string, groupNumber: string): string {
  return plan.mode === 'single' ? plan.singleNumber : groupAddress(plan, appNumber, groupNumber);
}

/** How a reply tells a member where to text to reach a group. */
export function smsReplyTo(plan: AddressPlan, appNumber: string, groupNumber: string): string {
  return plan.mode === 'single'
    ? `${plan.singleNumber} (#${groupNumber} first)`
    : groupAddress(plan, appNumber, groupNumber);
}

/** In single mode, a leading `#<group number>` picks the group; the rest is the text. */
export function parseGroupTag(text: string): { groupNumber: string; rest: string } | undefined {
  const m = /^\s*[#＃](\d{4,12})\b\s*([\s\S]*)$/.exec(text);
  return m ? { groupNumber: m[1]!, rest: m[2]! } : undefined;
}

export type ParsedAddress =
  | { kind: 'service' }
  | { kind: 'group'; appNumber: string; groupNumber: string }
  | { kind: 'app_only'; appNumber: string }
  | { kind: 'foreign' };

function digitsOf(n: string): string {
  return n.replace(/^\+/, '');
}

export function parseAddress(to: string, plan: AddressPlan): ParsedAddress {
  const service = digitsOf(plan.serviceNumber);
  const dest = digitsOf(to.trim());
  if (!/^\d+$/.test(dest) || !dest.startsWith(service)) return { kind: 'foreign' };
  const rest = dest.slice(service.length);
  if (rest.length === 0) return { kind: 'service' };
  if (rest.length < plan.appNumberWidth) return { kind: 'foreign' };
  const appNumber = rest.slice(0, plan.appNumberWidth);
  const groupNumber = rest.slice(plan.appNumberWidth);
  if (groupNumber.length === 0) return { kind: 'app_only', appNumber };
  return { kind: 'group', appNumber, groupNumber };
}

export function groupAddress(plan: AddressPlan, appNumber: string, groupNumber: string): string {
  return `${digitsOf(plan.serviceNumber)}${appNumber}${groupNumber}`;
}

/**
 * Picks a group number: random so that numbers do not reveal how many groups exist or invite
 * guessing neighbours, at least 4 digits, one digit longer once a length is crowded.
 */
export function candidateGroupNumber(attempt: number, random: () => number = Math.random): string {
  const digits = 4 + Math.floor(attempt / 8);
  const min = 10 ** (digits - 1);
  return String(min + Math.floor(random() * (9 * min)));
}
