// The application modules of the patent (应用响应模块): the app number in a group's address picks one.
// An app decides its groups' policy (who posts, who reads a post, who invites); the core does the rest.
import type { Membership } from '../domain/group.ts';
import type { Audience } from '../store/store.ts';

export interface AppModule {
  /** The registry's kind name, as written in QUN_APPS. */
  readonly kind: string;
  readonly description: string;
  /** Who sees a post by this member. */
  audienceFor(poster: Membership): Audience;
  /** Whether this member may invite others. */
  canInvite(m: Membership): boolean;
}

/** An app bound to its configured number: what the router hands a message to. */
export interface BoundApp extends AppModule {
  readonly appNumber: string;
}
