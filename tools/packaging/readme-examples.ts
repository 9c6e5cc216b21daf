/**
 * The code examples of a package README, as files a user would save.
 *
 * Every ```ts and ```js block is an example, checked as it is written. A block
 * whose first line is a comment naming a file (`// main.mjs`, `// guest.ts —
 * ...`) is saved under that name, so a README can show a program in several
 * files; the others are `example-N.ts` / `example-N.mjs`. A file another
 * block of the same README names (`'./vcpu1.mjs'`) is a module of that one,
 * not a program of its own. A block marked ```ts fragment is a piece of the
 * reader's own code (it imports files only the reader has) and is listed,
 * not run.
 */

export interface ReadmeExample {
  /** The file it is saved as, unique within its README. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: 'ts' | 'js';
  code: string;
  /** Run as a program (false: a module another example imports). */
  entry: boolean;
  /** Needs Node (node: built-ins, require, worker threads, vitest): not bundled for the browser. */
  nodeOnly: boolean;
}

export interface ReadmeFragment {
  line: number;
  firstLine: string;
}

const LANGS: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' };
const NAMED = /^\/\/\s+([\w.-]+\.(?:ts|mts|js|mjs))(?:\s|$)/;
const NODE_ONLY = /from\s+['"]node:|\brequire\(|['"]@vgic\/core\/(?:threads|testing)['"]|['"]vitest['"]/;

export function extractExamples(markdown: string): { examples: ReadmeExample[]; fragments: ReadmeFragment[] } {
  const lines = markdown.split('\n');
  const found: Omit<ReadmeExample, 'entry'>[] = [];
  const fragments: ReadmeFragment[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(fence); i++) body.push(lines[i]!);
    const lang = LANGS[open[2]!.toLowerCase()];
    if (lang === undefined) continue;
    const code = `${body.join('\n')}\n`;
    if (/\bfragment\b/.test(open[3]!)) {
      fragments.push({ line: start + 1, firstLine: body[0] ?? '' });
      continue;
    }
    const named = NAMED.exec(body[0] ?? '');
    const file = named ? named[1]! : `example-${found.length + 1}.${lang === 'ts' ? 'ts' : 'mjs'}`;
    if (found.some((e) => e.file === file)) throw new Error(`line ${start + 1}: a second example named ${file}`);
    found.push({ file, line: start + 1, lang, code, nodeOnly: NODE_ONLY.test(code) });
  }
  const examples = found.map((e) => {
    const importedBy = found.filter((o) => o !== e && o.code.includes(`./${e.file}`));
    return { ...e, entry: importedBy.length === 0 };
  });
  // A program whose modules need Node needs Node too.
  for (const e of examples) {
    if (examples.some((m) => !m.entry && m.nodeOnly && e.code.includes(`./${m.file}`))) e.nodeOnly = true;
  }
  return { examples, fragments };
}

/** Markdown links and images whose target is a relative path (not a URL, not an anchor). */
export function relativeLinks(markdown: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  const lines = markdown.split('\n');
  let inFence = false;
  lines.forEach((text, i) => {
    if (/^`{3,}/.test(text)) inFence = !inFence;
    if (inFence) return;
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
      out.push({ line: i + 1, target });
    }
  });
  return out;
}
