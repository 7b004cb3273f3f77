// App router: app number → app module. Built from QUN_APPS at start-up; an unknown kind, a duplicate
// number or a number of the wrong width stops start-up with the valid choices named.

import { announcementsApp } from './announcements/announcements-app.ts';
import type { AppModule, BoundApp } from './app-module.ts';
import { groupChatApp } from './group-chat/group-chat-app.ts';

export const APP_KINDS: Record<string, AppModule> = {
  [groupChatApp.kind]: groupChatApp,
  [announcementsApp.kind]: announcementsApp,
};

export class AppRegistry {
  readonly #apps = new Map<string, BoundApp>();
  readonly defaultApp: BoundApp;

  constructor(spec: string, width: number) {
    for (const entry of spec
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const [num, kind] = entry.split('=').map((s) => s.trim());
      if (!num || !kind) throw new Error(`QUN_APPS entry "${entry}" is not of the form <number>=<kind>`);
      if (!/^\d+$/.test(num) || num.length !== width) {
        throw new Error(
          `QUN_APPS: app number "${num}" must be exactly ${width} digits (QUN_APP_NUMBER_WIDTH)`,
        );
      }
      const app = APP_KINDS[kind];
      if (!app)
        throw new Error(
          `QUN_APPS: unknown app kind "${kind}"; valid kinds: ${Object.keys(APP_KINDS).join(', ')}`,
        );
      const prior = this.#apps.get(num);
      if (prior) throw new Error(`QUN_APPS: app number ${num} is given twice (${prior.kind} and ${kind})`);
      this.#apps.set(num, { ...app, appNumber: num });
    }
    const first = this.#apps.values().next();
    if (first.done) throw new Error('QUN_APPS names no app; e.g. 01=group-chat,02=announcements');
    this.defaultApp = first.value;
  }

  get(appNumber: string): BoundApp | undefined {
    return this.#apps.get(appNumber);
  }

  list(): BoundApp[] {
    return [...this.#apps.values()];
  }
}
