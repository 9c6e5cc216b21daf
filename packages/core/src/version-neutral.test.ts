/**
 * Core knows no GIC version: everything version-specific reaches it through
 * the backend contract (`backend.ts`). This test keeps it so — it reads every
 * shipped source file of core (src/testing too: it ships to users), strips
 * comments, and fails naming file:line where a register name of one GIC
 * version is left in the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;
const FORBIDDEN = /GICD_|GICR_|GICC_|ICC_|ITARGETSR|IROUTER|SGIR|ICH_|GITS_|MPIDR/;

/** Every `.ts` under `dir` that is not a test. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/**
 * `text` with every comment replaced by spaces (newlines kept, so lines stay
 * where they were). Strings, template literals and regular expressions are
 * kept as they are: a register name in a string is code.
 */
function stripComments(text: string): string {
  let out = '';
  let i = 0;
  // The last significant character, to tell a regular expression from a division.
  let last = '';
  const templateDepth: number[] = [];
  let braces = 0;
  while (i < text.length) {
    const c = text[i]!;
    const n = text[i + 1];
    if (c === '/' && n === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
      continue;
    }
    if (c === '/' && n === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) out += text[i] === '\n' ? '\n' : ' ';
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      last = c;
      continue;
    }
    if (c === '`' || (c === '}' && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces)) {
      if (c === '}') templateDepth.pop();
      let j = i + 1;
      while (j < text.length && text[j] !== '`' && !(text[j] === '$' && text[j + 1] === '{')) {
        j += text[j] === '\\' ? 2 : 1;
      }
      if (text[j] === '$') {
        templateDepth.push(braces);
        out += text.slice(i, j + 2);
        i = j + 2;
      } else {
        out += text.slice(i, j + 1);
        i = j + 1;
        last = '`';
      }
      continue;
    }
    if (c === '/' && (last === '' || '(,=:[!&|?{};+-*%<>~^'.includes(last) || /\breturn$/.test(out.trimEnd()))) {
      let j = i + 1;
      let inClass = false;
      while (j < text.length && text[j] !== '\n' && (inClass || text[j] !== '/')) {
        if (text[j] === '\\') j++;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j++;
      }
      out += text.slice(i, j + 1);
      i = j + 1;
      last = '/';
      continue;
    }
    if (c === '{') braces++;
    if (c === '}') braces--;
    if (!/\s/.test(c)) last = c;
    out += c;
    i++;
  }
  return out;
}

describe('core names no GIC version', () => {
  it('strips comments but keeps strings and expressions', () => {
    const code = [
      "const a = 'GICD_CTLR'; // ICC_IAR1_EL1",
      '/* ITARGETSR',
      '   IROUTER */ const b = x / 2 / y;',
      'const re = /\\/\\/ GICR_/; const t = `${a} // ${b}`;',
    ].join('\n');
    const s = stripComments(code).split('\n');
    expect(s).toHaveLength(4);
    expect(s[0]).toContain("'GICD_CTLR'");
    expect(s[0]).not.toContain('ICC_');
    expect(s[1]).not.toContain('ITARGETSR');
    expect(s[2]).not.toContain('IROUTER');
    expect(s[2]).toContain('x / 2 / y');
    expect(s[3]).toContain('GICR_');
    expect(s[3]).toContain('`${a} // ${b}`');
  });

  it('no register name of a GIC version appears in the code of packages/core/src', () => {
    const found: string[] = [];
    for (const file of sources(SRC)) {
      const lines = stripComments(readFileSync(file, 'utf8')).split('\n');
      lines.forEach((line, k) => {
        const m = FORBIDDEN.exec(line);
        if (m) found.push(`packages/core/src/${relative(SRC, file)}:${k + 1}: ${m[0]} in ${line.trim()}`);
      });
    }
    expect(found, `version-specific names in core:\n${found.join('\n')}`).toEqual([]);
  });
});
