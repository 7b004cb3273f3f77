// SMS addressing: a group's number is <service number><app number><group number>; the service
// number alone addresses commands that name no group.
export interface AddressPlan {
  serviceNumber: string;
  appNumberWidth: number;
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
