/** A small command-line parser: `--flag`, `--name value` or `--name=value`, `-h`/`--help`, `--` ends options. */

export interface Spec {
  /** Options that take no value. */
  flags: readonly string[];
  /** Options that take a value. */
  values: readonly string[];
}

export interface Args {
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
  help: boolean;
  /** The first thing wrong with the command line, as a sentence. */
  error?: string;
}

export function parseArgs(argv: readonly string[], spec: Spec): Args {
  const out: Args = { positional: [], flags: new Set(), values: new Map(), help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h' || a === '--help') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('-') || a === '-') {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.replace(/^--?/, '').slice(0, eq < 0 ? undefined : eq - (a.startsWith('--') ? 2 : 1));
    if (spec.flags.includes(name)) {
      if (eq >= 0) out.error ??= `--${name} takes no value`;
      out.flags.add(name);
    } else if (spec.values.includes(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) out.error ??= `--${name} needs a value`;
      else out.values.set(name, value);
    } else {
      const known = [...spec.flags, ...spec.values].map((n) => `--${n}`);
      out.error ??= `unknown option ${a}${known.length > 0 ? ` (this command takes ${known.join(', ')})` : ''}`;
    }
  }
  return out;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size in bytes as a user writes it: `1048576`, `512k`, `64M`, `64MiB`, `2G` (powers of 1024). NaN when it is not one. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (m === null) return NaN;
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : NaN;
}
