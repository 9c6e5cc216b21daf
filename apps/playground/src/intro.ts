/**
 * A scenario file's opening comment — its title and what it teaches — as
 * prose: the lines of `#` comments before the first key, with the `# `
 * taken off, split into paragraphs at the empty comment lines.
 */
export interface Intro {
  /** The first comment line (`First interrupt on GICv3`), or '' without one. */
  title: string;
  /** The paragraphs after it, each joined into one line. */
  paragraphs: string[];
}

export function openingComment(text: string): Intro {
  const comment: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*#\s?(.*)$/.exec(line);
    if (m === null) {
      if (line.trim() === '' && comment.length === 0) continue;
      break;
    }
    comment.push(m[1]!.trimEnd());
  }
  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const line of comment.slice(1)) {
    if (line === '') {
      if (current.length > 0) paragraphs.push(current.join(' '));
      current = [];
    } else current.push(line.trim());
  }
  if (current.length > 0) paragraphs.push(current.join(' '));
  return { title: comment[0]?.trim() ?? '', paragraphs };
}
