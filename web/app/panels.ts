// Side panels of the open group: members (remove, make admin), invite, rename, group settings, leave; and
// the delivery view of one message, drawn from the trail API as one ladder per member.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { InviteResult, TrailStep } from '../../src/client/qun-client.ts';
import { formatTime, type MsgKey, t, word } from './i18n.ts';
import { changed, client, closeGroup, loadMembers, loadTrail, refreshGroups, run, S } from './state.ts';

const ROLE: Record<string, MsgKey> = { owner: 'roleOwner', admin: 'roleAdmin', member: 'roleMember' };
const RANK: Record<string, number> = { owner: 3, admin: 2, member: 1 };

function describeInvite(r: InviteResult): string {
  const parts: [MsgKey, string[]][] = [
    ['inviteInvited', r.invited],
    ['inviteAdded', r.added],
    ['inviteAlready', r.already],
    ['inviteInvalid', r.invalid],
    ['inviteCap', r.refusedCap],
    ['inviteOptedOut', r.optedOut],
    ['inviteRate', r.rateLimited],
  ];
  return parts
    .filter(([, p]) => p.length > 0)
    .map(([k, p]) => `${t(k)}: ${p.join(', ')}`)
    .join('; ');
}

function close() {
  S.panel = undefined;
  changed();
}

function People() {
  const g = S.groups.get(S.selected!)!;
  const myRole = g.role;
  const [phones, setPhones] = useState('');
  const [result, setResult] = useState('');
  const [name, setName] = useState(g.name);
  const [policy, setPolicy] = useState(g.invitePolicy);
  const [escalate, setEscalate] = useState(g.escalateToSms);
  const [cap, setCap] = useState(String(g.memberCap));
  const [saved, setSaved] = useState('');
  // Removing and leaving ask again in the page (a native confirm() is easy to dismiss by accident, and blocks).
  const [confirming, setConfirming] = useState<number | 'leave' | undefined>(undefined);
  const admin = RANK[myRole]! >= 2;
  const owner = myRole === 'owner';
  return html`<section id="people" class="card panel" aria-labelledby="people-title">
    <div class="chat-head"><h2 id="people-title" class="grow">${t('members')}</h2>
      <button type="button" class="secondary" id="people-close" onClick=${close}>${t('close')}</button></div>
    <ul id="members" class="list">${S.members.map((m) => {
      const self = m.userId === S.me?.id;
      const canRemove = !self && admin && RANK[myRole]! > RANK[m.role]!;
      return html`<li key=${m.userId} class="member row" data-user=${m.userId}>
        <div class="grow"><bdi>${m.name ?? m.phone}</bdi>${m.name ? ` (${m.phone})` : ''}${self ? ` · ${t('you')}` : ''}
          <span class=${`role ${m.role}`}> · ${t(ROLE[m.role] ?? 'roleMember')}</span></div>
        ${
          owner &&
          m.role === 'member' &&
          html`<button type="button" class="secondary promote"
          onClick=${() =>
            void run(async () => {
              await client.makeAdmin(g.id, m.userId);
              await loadMembers(g.id);
            })}>${t('makeAdmin')}</button>`
        }
        ${
          canRemove &&
          (confirming === m.userId
            ? html`<span class="confirm" role="group" aria-label=${t('removeConfirm', { name: m.name ?? m.phone })}>
              <button type="button" class="danger-fill remove-yes" onClick=${() => {
                setConfirming(undefined);
                void run(async () => {
                  await client.removeMember(g.id, m.userId);
                  await loadMembers(g.id);
                });
              }}>${t('remove')}</button>
              <button type="button" class="secondary remove-no" onClick=${() => setConfirming(undefined)}>${t('cancel')}</button></span>`
            : html`<button type="button" class="secondary remove" onClick=${() => setConfirming(m.userId)}>${t('remove')}</button>`)
        }
      </li>`;
    })}</ul>
    <form id="invite-form" onSubmit=${(e: Event) => {
      e.preventDefault();
      void run(async () => {
        const r = await client.invite(g.id, phones.split(/[\s,;，；]+/).filter(Boolean));
        setPhones('');
        setResult(describeInvite(r));
        await loadMembers(g.id);
      });
    }}>
      <label for="invite-phones">${t('inviteLabel')}</label>
      <input type="text" id="invite-phones" inputmode="tel" placeholder="+8613800000000" required value=${phones}
        onInput=${(e: Event) => setPhones((e.target as HTMLInputElement).value)} />
      <button type="submit">${t('invite')}</button>
      <p id="invite-result" class="hint" role="status">${result}</p>
    </form>
    ${
      admin &&
      html`<form id="rename-form" onSubmit=${(e: Event) => {
        e.preventDefault();
        void run(async () => {
          await client.updateGroup(g.id, { name: name.trim() });
          await refreshGroups();
        });
      }}>
      <label for="rename-name">${t('groupName')}</label>
      <input id="rename-name" maxlength="40" required value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <button type="submit">${t('rename')}</button>
    </form>`
    }
    ${
      owner &&
      html`<form id="group-settings" onSubmit=${(e: Event) => {
        e.preventDefault();
        void run(async () => {
          await client.updateGroup(g.id, {
            invitePolicy: policy as 'confirm' | 'direct',
            escalateToSms: escalate,
            memberCap: Number(cap),
          });
          await refreshGroups();
          setSaved(t('saved'));
        });
      }}>
      <h3>${t('groupSettings')}</h3>
      <label for="invite-policy">${t('invitePolicy')}</label>
      <select id="invite-policy" value=${policy} onChange=${(e: Event) => setPolicy((e.target as HTMLSelectElement).value)}>
        <option value="confirm">${t('policyConfirm')}</option><option value="direct">${t('policyDirect')}</option>
      </select>
      <label class="check"><input type="checkbox" id="escalate" checked=${escalate}
        onChange=${(e: Event) => setEscalate((e.target as HTMLInputElement).checked)} /> ${t('escalate')}</label>
      <label for="member-cap">${t('memberCap')}</label>
      <input type="number" id="member-cap" min="2" value=${cap} onInput=${(e: Event) => setCap((e.target as HTMLInputElement).value)} />
      <button type="submit">${t('save')}</button> <span role="status">${saved}</span>
    </form>`
    }
    ${
      confirming === 'leave'
        ? html`<p class="confirm" role="group" aria-label=${t('leaveConfirm', { name: g.name })}>${t('leaveConfirm', { name: g.name })}
          <button type="button" id="leave-yes" class="danger-fill" onClick=${() =>
            void run(async () => {
              await client.leave(g.id);
              closeGroup();
              await refreshGroups();
            })}>${t('leave')}</button>
          <button type="button" class="secondary" onClick=${() => setConfirming(undefined)}>${t('cancel')}</button></p>`
        : html`<button type="button" id="leave" class="danger" onClick=${() => setConfirming('leave')}>${t('leave')}</button>`
    }
  </section>`;
}

function Step({ s }: { s: TrailStep }) {
  const ok = ['acked', 'fetched', 'delivered', 'sender'].includes(s.outcome);
  const bad = ['failed', 'rejected', 'ack_timeout', 'no_ack', 'gone'].includes(s.outcome);
  return html`<li class=${`step ${s.rung}${ok ? ' ok' : bad ? ' bad' : ''}`} data-rung=${s.rung} data-outcome=${s.outcome}>
    <span class="rung">${word('rung', s.rung)}</span>
    <span class="outcome">${word('out', s.outcome)}</span>
    ${s.at !== null && html`<time datetime=${new Date(s.at).toISOString()}>${formatTime(s.at)}</time>`}
  </li>`;
}

/**
 * While the delivery view is open it follows the message: receipts and reads land over minutes. Not
 * while the tab is hidden (a phone in a pocket should not poll); coming back fetches at once.
 */
const TRAIL_REFRESH_MS = 5_000;

function TrailView() {
  const msgId = S.trailFor;
  const trail = msgId ? S.trails.get(msgId) : undefined;
  useEffect(() => {
    if (!msgId) return;
    const refresh = () => {
      if (document.visibilityState === 'visible') void loadTrail(msgId).catch(() => {});
    };
    const timer = setInterval(refresh, TRAIL_REFRESH_MS);
    document.addEventListener('visibilitychange', refresh);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', refresh);
    };
  }, [msgId]);
  return html`<section id="trail" class="card panel" aria-labelledby="trail-title" aria-busy=${S.trailBusy ? 'true' : 'false'}>
    <div class="chat-head"><h2 id="trail-title" class="grow">${t('deliveryOf')}</h2>
      <button type="button" class="secondary" onClick=${close}>${t('close')}</button></div>
    ${
      !trail
        ? html`<p class="hint">${t('loadingOlder')}</p>`
        : html`<ul class="trail list">${trail.members.map(
            (m) => html`<li key=${m.userId} class="trail-member" data-user=${m.userId}>
            <div><bdi>${m.name ?? m.phone}</bdi>${m.name ? ` (${m.phone})` : ''}</div>
            ${
              m.steps.length === 0
                ? html`<p class="hint">${t('stepsNone')}</p>`
                : html`<ol class="ladder">${m.steps.map((s) => html`<${Step} s=${s} />`)}</ol>`
            }
          </li>`,
          )}</ul>`
    }
  </section>`;
}

export function Panel() {
  if (S.panel === 'trail') return html`<${TrailView} />`;
  if (S.panel === 'people') return html`<${People} />`;
  return null;
}
