// Figures, the console table, the results JSON and the generated block of docs/performance.md.
import fs from 'node:fs';
import path from 'node:path';
import type { Machine } from './proc.ts';

export interface Figure {
  bench: string;
  /** What was measured, e.g. "deliveries/s, N=100". */
  metric: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "≥ 500,000"; absent for figures shown for context. */
  target?: string;
  met?: boolean;
  /** Server and generator CPU over the measured window, in cores (1.0 = one core busy). */
  serverCpu?: number;
  genCpu?: number;
  serverRssMb?: number;
  /** Fraction of the window the server was runnable but waiting for its core (a shared machine). */
  serverWait?: number;
  /** A generator process (or the generator core) used ≥ 85%: the figure may say more about the generator than the server. */
  generatorBound?: boolean;
  notes?: string;
  /** Over several runs: `value` is the median of the `counted` (not generator-bound) ones. */
  spread?: { min: number; max: number; runs: number; counted: number };
  /** 1-minute load average over the runs (os.loadavg()). */
  load?: { min: number; max: number };
  /** Shown instead of met / NOT met when the figure could not be checked (e.g. "unverified"). */
  verdict?: string;
}

export interface BenchOutcome {
  name: string;
  seconds: number;
  figures: Figure[];
  error?: string;
  raw?: unknown;
  profiles?: { file: string; idlePct: number; top: ProfileRow[]; transactions: ProfileRow[] }[];
}

export interface ProfileRow {
  selfPct: number;
  selfMs: number;
  fn: string;
  where: string;
}

export const GEN_BOUND = 0.85;

export function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return String(v);
  const digits = Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  const s = v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit ? `${s} ${unit}` : s;
}

const pct = (v: number | undefined) => (v === undefined ? '' : `${Math.round(v * 100)}%`);

export function verdict(f: Figure): string {
  const bound = f.generatorBound ? ' (generator-bound)' : '';
  if (f.verdict) return f.verdict + bound;
  if (f.met === undefined) return `info${bound}`;
  return (f.met ? 'met' : 'NOT met') + bound;
}

function result(f: Figure): string {
  if (!f.spread || f.spread.runs <= 1) return fmt(f.value, f.unit);
  return `${fmt(f.value, f.unit)} (${fmt(f.spread.min, '')}–${fmt(f.spread.max, '')})`;
}

function runsNote(f: Figure): string {
  const parts: string[] = [];
  if (f.spread)
    parts.push(
      `median (range) of ${f.spread.counted} of ${f.spread.runs} runs${f.spread.counted < f.spread.runs ? ` (${f.spread.runs - f.spread.counted} generator-bound or without deliveries, left out)` : ''}`,
    );
  if (f.load) parts.push(`load average ${f.load.min.toFixed(1)}–${f.load.max.toFixed(1)}`);
  return parts.join(', ');
}

function rows(outcomes: BenchOutcome[]): string[][] {
  const out: string[][] = [];
  for (const o of outcomes) {
    if (o.error)
      out.push([o.name, 'failed', o.error.split('\n')[0]!.slice(0, 160), '', 'ERROR', '', '', '', '']);
    for (const f of o.figures)
      out.push([
        f.bench,
        f.metric,
        result(f),
        f.target ?? '',
        verdict(f),
        pct(f.serverCpu),
        pct(f.genCpu),
        pct(f.serverWait),
        [f.spread || f.load ? runsNote(f) : '', f.notes ?? ''].filter(Boolean).join('; '),
      ]);
  }
  return out;
}

const HEAD = [
  'Benchmark',
  'Figure',
  'Result',
  'Target',
  'Verdict',
  'Server CPU',
  'Gen CPU',
  'Server waited',
  'Notes',
];

export function consoleTable(outcomes: BenchOutcome[]): string {
  const all = [HEAD, ...rows(outcomes)].map((r) => r.slice(0, 8));
  const w = HEAD.slice(0, 8).map((_, i) => Math.min(48, Math.max(...all.map((r) => r[i]!.length))));
  const line = (r: string[]) => r.map((c, i) => c.slice(0, w[i]).padEnd(w[i]!)).join('  ');
  return [line(all[0]!), w.map((n) => '-'.repeat(n)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export function markdownTable(outcomes: BenchOutcome[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows(outcomes).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export const START = '<!-- bench:results:start (written by `node bench/run.ts`; edit outside this block) -->';
export const END = '<!-- bench:results:end -->';

export function markdownBlock(
  m: Machine,
  command: string,
  when: string,
  totalSeconds: number,
  outcomes: BenchOutcome[],
  load: { start: number; end: number; max: number },
): string {
  const profiles = outcomes
    .flatMap((o) => (o.profiles ?? []).map((p, i) => ({ o, p, i })))
    .map(({ o, p, i }) => {
      const top = p.top.map(
        (r) => `| ${r.selfPct.toFixed(1)} | ${r.selfMs.toFixed(0)} | ${r.fn} | ${r.where} |`,
      );
      const tx = p.transactions.map((r) => `| ${r.selfPct.toFixed(1)} | ${r.selfMs.toFixed(0)} | ${r.fn} |`);
      return [
        '',
        `Server CPU profile ${i + 1} of **${o.name}** (\`${p.file}\`, ${p.idlePct.toFixed(0)}% idle), top self time:`,
        '',
        '| Self % | Self ms | Function | Where |',
        '|---|---|---|---|',
        ...top,
        ...(tx.length
          ? [
              '',
              '`sqliteTransaction` self time (the commit, fsync included) by caller:',
              '',
              '| Self % | Self ms | Caller |',
              '|---|---|---|',
              ...tx,
            ]
          : []),
        '',
      ].join('\n');
    })
    .join('');
  return [
    START,
    '',
    `Last run: ${when}, \`${command}\`, ${Math.round(totalSeconds)} s in all; 1-minute load average` +
      ` ${load.start.toFixed(1)} at the start, ${load.end.toFixed(1)} at the end, up to ${load.max.toFixed(1)}` +
      ` (2 would mean both cores busy with the benchmark alone).`,
    `Machine: ${m.cpus} × ${m.cpuModel}, Linux ${m.kernel}, Node ${m.node}, commit \`${m.commit}\`,` +
      ` ${m.taskset ? 'server pinned to core 0 and generator to core 1 (taskset)' : 'no taskset: processes not pinned'}.`,
    '',
    markdownTable(outcomes),
    profiles,
    END,
  ].join('\n');
}

/** Replaces the generated block of the document (or appends it) and leaves the rest alone. */
export function writeDoc(file: string, block: string): void {
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Performance\n\n';
  const a = doc.indexOf(START.slice(0, 26));
  const b = doc.indexOf(END);
  if (a >= 0 && b > a) doc = doc.slice(0, a) + block + doc.slice(b + END.length);
  else doc = `${doc.trimEnd()}\n\n## Latest results\n\n${block}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, doc);
}
