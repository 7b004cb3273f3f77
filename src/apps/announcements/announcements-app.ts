// Announcement list (app 02 by default): owners and admins post to everyone; a member's reply reaches
// the admins only, so a 500-parent list does not become 500 reply-alls.
import type { AppModule } from '../app-module.ts';

export const announcementsApp: AppModule = {
  kind: 'announcements',
  description: 'admins post to everyone; members reply to the admins only',
  audienceFor: (m) => (m.role === 'member' ? 'admins' : 'all'),
  canInvite: (m) => m.state === 'active' && m.role !== 'member',
};
