// Group chat (app 01 by default): every member posts to everyone and may invite.
import type { AppModule } from '../app-module.ts';

export const groupChatApp: AppModule = {
  kind: 'group-chat',
  description: 'every member posts to everyone',
  audienceFor: () => 'all',
  canInvite: (m) => m.state === 'active',
};
