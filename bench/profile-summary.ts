// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, highest first, and self time
// per file, and optionally one function's self time split by its callers in src/.
// Usage: node bench/profile-summary.ts <file.cpuprofile> [--top 25] [--callers sqliteTransaction]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProfileRow } from './lib/report.ts';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function shortUrl(url: string): string {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) u = u.slice(ROOT.length + 1);
  u = u.replace(/^.*node_modules\//, '');
  return u;
}

export function summariseProfile(
  file: string,
  top = 25,
): { totalMs: number; idlePct: number; rows: ProfileRow[]; byFile: ProfileRow[] } {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute each delta to the sample it precedes' node.
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + Math.max(0, dt));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, ProfileRow>();
  const files = new Map<string, ProfileRow>();
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    if (name === '(idle)') idle += us;
    const url = shortUrl(cf.url);
    const where = url ? `${url}:${cf.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const r = fns.get(key) ?? { selfPct: 0, selfMs: 0, fn: name, where };
    r.selfMs += us / 1000;
    fns.set(key, r);
    const fk = url || name;
    const fr = files.get(fk) ?? { selfPct: 0, selfMs: 0, fn: fk, where: '' };
    fr.selfMs += us / 1000;
    files.set(fk, fr);
  }
  const finish = (m: Map<string, ProfileRow>) =>
    [...m.values()]
      .map((r) => ({ ...r, selfPct: total ? (r.selfMs * 1000 * 100) / total : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return {
    totalMs: total / 1000,
    idlePct: total ? (idle * 100) / total : 0,
    rows: finish(fns),
    byFile: finish(files),
  };
}

/**
 * Where a function's self time comes from: its self time split by the nearest caller frame in Qun's own
 * code (src/), so that "sqliteTransaction" becomes "which transaction".
 */
export function callersOf(file: string, fnName: string, top = 15): ProfileRow[] {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++)
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + Math.max(0, p.timeDeltas[i + 1] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const out = new Map<string, ProfileRow>();
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName !== fnName) continue;
    const chain: string[] = [];
    let cur = parent.get(id);
    while (cur !== undefined && chain.length < 3) {
      const cf = byId.get(cur)!.callFrame;
      const url = shortUrl(cf.url);
      if (url.startsWith('src/'))
        chain.push(`${cf.functionName || '(anonymous)'} ${url}:${cf.lineNumber + 1}`);
      cur = parent.get(cur);
    }
    const key = chain.join(' ← ') || '(no src/ caller)';
    const r = out.get(key) ?? { selfPct: 0, selfMs: 0, fn: key, where: '' };
    r.selfMs += us / 1000;
    out.set(key, r);
  }
  return [...out.values()]
    .map((r) => ({ ...r, selfPct: total ? (r.selfMs * 1000 * 100) / total : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.ts <file.cpuprofile> [--top 25]\n');
    process.exit(2);
  }
  const ti = process.argv.indexOf('--top');
  const top = ti > 0 ? Number(process.argv[ti + 1]) : 25;
  const s = summariseProfile(file, top);
  const line = (r: ProfileRow) =>
    `${r.selfPct.toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.fn}  ${r.where}`;
  process.stdout.write(`profile: ${s.totalMs.toFixed(0)} ms sampled, ${s.idlePct.toFixed(1)}% idle\n\n`);
  process.stdout.write(`self time by function:\n${s.rows.map(line).join('\n')}\n\n`);
  process.stdout.write(`self time by file:\n${s.byFile.map(line).join('\n')}\n`);
  const ci = process.argv.indexOf('--callers');
  if (ci > 0) {
    const fn = process.argv[ci + 1] ?? '';
    process.stdout.write(
      `\nself time of ${fn} by its callers in src/:\n${callersOf(file, fn).map(line).join('\n')}\n`,
    );
  }
}
