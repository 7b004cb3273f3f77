// Loads and validates the configuration from the environment; a bad value stops start-up with every
// problem listed at once.
import os from 'node:os';
import path from 'node:path';
import { SETTINGS } from './schema.ts';
import { parseSettings } from './setting.ts';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  databasePool: number;
  sqliteCheckpoint: 'worker' | 'auto';
  logLevel: string;
  adminKey: string | undefined;
  apps: string;
  smsGateway: string;
  serviceNumber: string;
  smsAddressing: 'extended' | 'single';
  smsNumber: string | undefined;
  appNumberWidth: number;
  defaultRegion: string;
  maxMessageChars: number;
  memberCapDefault: number;
  memberCapMax: number;
  signinCodeTtl: number;
  signinCodesPerHour: number;
  invitesPerDay: number;
  codesPerAddressPerHour: number;
  invitesPerNumberPerDay: number;
  smsDailyCap: number;
  smsRepliesPerHour: number;
  groupsPerPhonePerDay: number;
  smsAllowedRegions: string | undefined;
  smsAllowedTypes: string;
  sessionTtl: number;
  liveAckTimeout: number;
  liveHeartbeat: number;
  liveMaxPerAddress: number;
  nodeId: string;
  lease: number;
  webOnlineTtl: number;
  reminderScanInterval: number;
  reminderDelay: number;
  escalateDelay: number;
  vapidSubject: string;
  smsTps: number;
  smsMaxSegments: number;
  smsSegmentPrice: number;
  smsBudgetDay: number;
  smsBudgetMonth: number;
  smsBudgetDayCeiling: number;
  smsBudgetMonthCeiling: number;
  digestWindow: number;
  smartSubstitution: boolean;
  wapPushUrl: string | undefined;
  wapPushUsername: string | undefined;
  wapPushPassword: string | undefined;
  reminderSms: boolean;
  retentionDays: number;
  retentionInterval: number;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const { values: out, problems } = parseSettings(SETTINGS, env);
  const cfg = out as unknown as Config;
  if (problems.length === 0 && cfg.memberCapDefault > cfg.memberCapMax) {
    problems.push(
      `QUN_MEMBER_CAP (${cfg.memberCapDefault}) exceeds QUN_MEMBER_CAP_MAX (${cfg.memberCapMax})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  cfg.dataDir = path.resolve(cfg.dataDir);
  cfg.nodeId ??=
    os
      .hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 64) || 'qun';
  cfg.publicUrl = (cfg.publicUrl ?? `http://localhost:${cfg.port}`).replace(/\/+$/, '');
  return cfg;
}
