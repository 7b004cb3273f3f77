// Builds a group run by SMS on a test server: the owner creates it at the service number, invites the
// numbers, each answers Y; the owner also signs in for the HTTP API (posting, trails, settings).
import type { TestServer } from './server.ts';

export interface SmsGroup {
  address: string;
  groupId: number;
  ownerToken: string;
}

export async function smsGroup(
  s: TestServer,
  owner: string,
  members: string[],
  name = 'Hiking club',
): Promise<SmsGroup> {
  await s.api.sms(owner, '10658', `CREATE ${name}`);
  await s.settle();
  const reply = (await s.api.texts(owner)).at(-1)?.text ?? '';
  const address = /(1065801\d{4,})/.exec(reply)?.[1];
  if (!address) throw new Error(`no group address in ${reply}`);
  for (let i = 0; i < members.length; i += 10) {
    await s.api.sms(owner, address, `G ${members.slice(i, i + 10).join(' ')}`);
    await s.settle();
  }
  for (const m of members) await s.api.sms(m, address, 'Y');
  await s.settle();
  const ownerToken = await s.api.signIn(owner, () => s.settle());
  const groups = await s.api.req('GET', '/v1/groups', undefined, ownerToken);
  const groupId = groups.json.groups.find((g: { name: string }) => g.name === name)?.id;
  if (!groupId) throw new Error('the owner does not see the group');
  return { address, groupId, ownerToken };
}

/** A member's trail steps for one message. */
export async function stepsOf(s: TestServer, g: SmsGroup, msgId: string, phone: string) {
  const t = await s.api.req('GET', `/v1/messages/${msgId}/trail`, undefined, g.ownerToken);
  if (t.status !== 200) throw new Error(`trail: ${t.status}`);
  const m = t.json.members.find((x: { phone: string }) => x.phone === phone);
  return (m?.steps ?? []) as { rung: string; outcome: string; reason: string }[];
}
