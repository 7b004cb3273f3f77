// Loads and validates the configuration from the environment; a bad value stops start-up with every
// problem listed at once.
import path from 'node:path';
import { SETTINGS, type SettingKey } from './schema.ts';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  logLevel: string;
  adminKey: string | undefined;
  apps: string;
  smsGateway: string;
  serviceNumber: string;
  appNumberWidth: number;
  defaultRegion: string;
  maxMessageChars: number;
  memberCapDefault: number;
  memberCapMax: number;
  signinCodeTtl: number;
  signinCodesPerHour: number;
  invitesPerDay: number;
  sessionTtl: number;
  liveAckTimeout: number;
  liveHeartbeat: number;
  webOnlineTtl: number;
  reminderScanInterval: number;
  reminderDelay: number;
  escalateDelay: number;
  vapidSubject: string;
  smsTps: number;
  smsMaxSegments: number;
  smartSubstitution: boolean;
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
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][]) {
    const raw = env[setting.env] === '' ? undefined : (env[setting.env] ?? setting.default);
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) out[key] = parsed.data;
    else
      problems.push(
        `${setting.env}=${JSON.stringify(raw)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      );
  }
  const cfg = out as unknown as Config;
  if (problems.length === 0 && cfg.memberCapDefault > cfg.memberCapMax) {
    problems.push(
      `QUN_MEMBER_CAP (${cfg.memberCapDefault}) exceeds QUN_MEMBER_CAP_MAX (${cfg.memberCapMax})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  cfg.dataDir = path.resolve(cfg.dataDir);
  cfg.publicUrl = (cfg.publicUrl ?? `http://localhost:${cfg.port}`).replace(/\/+$/, '');
  return cfg;
}
