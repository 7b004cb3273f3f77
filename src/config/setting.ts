// One setting's description (environment name, default, reason, validation) and the helpers that the
// core schema and each gateway's own settings are written with.
import { z } from 'zod';
import { parseDurationMs } from './duration.ts';

export const duration = z.string().transform((v, ctx) => {
  const ms = parseDurationMs(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a duration: "${v}" (use e.g. 30s, 10m, 500ms)` });
    return z.NEVER;
  }
  return ms;
});
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => ['true', '1', 'yes'].includes(v));

export interface Setting {
  env: string;
  default: string | undefined;
  why: string;
  schema: z.ZodType;
}

export function s(env: string, def: string | undefined, why: string, schema: z.ZodType): Setting {
  return { env, default: def, why, schema };
}

/** Parses a table of settings from the environment; problems are collected, not thrown one by one. */
export function parseSettings(
  table: Record<string, Setting>,
  env: Record<string, string | undefined>,
): { values: Record<string, unknown>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(table)) {
    const raw = env[setting.env] === '' ? undefined : (env[setting.env] ?? setting.default);
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else
      problems.push(
        `${setting.env}=${JSON.stringify(raw)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      );
  }
  return { values, problems };
}
