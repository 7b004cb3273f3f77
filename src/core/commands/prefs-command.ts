// A preference command applied to a member's stored preferences: what is stored next, and what the reply
// says was set (quiet hours name the zone they are kept in).

import type { PrefsChange } from '../../domain/commands/parse-prefs.ts';
import type { PrefsSetting } from '../../domain/commands/replies.ts';
import type { DeliveryPrefs } from '../../domain/policy.ts';
import { zoneForPhone } from '../../domain/quiet-hours.ts';

export function applyPrefsChange(
  prefs: DeliveryPrefs,
  c: PrefsChange,
): { prefs: DeliveryPrefs; setting: (phone: string) => PrefsSetting } {
  switch (c.what) {
    case 'sms':
      return { prefs: { ...prefs, smsMode: c.mode }, setting: () => c };
    case 'mute':
      return { prefs: { ...prefs, muted: c.on }, setting: () => c };
    case 'digest':
      return { prefs: { ...prefs, digest: c.on }, setting: () => c };
    case 'quiet': {
      const next = { ...prefs, quiet: { start: c.start, end: c.end }, timeZone: c.zone ?? prefs.timeZone };
      return {
        prefs: next,
        setting: (phone) => ({
          what: 'quiet',
          start: c.start,
          end: c.end,
          zone: next.timeZone ?? zoneForPhone(phone),
        }),
      };
    }
    case 'quiet_off':
      return { prefs: { ...prefs, quiet: null }, setting: () => c };
  }
}
