/**
 * A scenario file as text: the bytes must be UTF-8 without control
 * characters (anything else is binary data, not YAML or JSON), and an offset
 * in the text is shown as a line and a column.
 */
import type { SourcePos } from '@vgic/core';

/** Offsets to lines and columns (1-based; a column counts UTF-16 code units, as the YAML library does). */
export class LineIndex {
  private starts: number[] | null = null;

  constructor(private readonly text: string) {}

  pos(offset: number): SourcePos {
    if (this.starts === null) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.starts = starts;
    }
    const starts = this.starts;
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: at - starts[lo]! + 1 };
  }
}

/** The file as text, or the offset where it stops being text and why. */
export function decode(source: string | Uint8Array): { text: string } | { offset: number; text: string; message: string } {
  let text: string;
  let badUtf8 = -1;
  if (typeof source === 'string') {
    text = source;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      text = new TextDecoder('utf-8').decode(source);
      badUtf8 = Math.max(0, text.indexOf('\ufffd'));
    }
  }
  // YAML allows tab, newline and printable characters; anything else means binary data.
  const ctl = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (ctl !== null && (badUtf8 < 0 || ctl.index < badUtf8)) {
    const code = ctl[0].charCodeAt(0).toString(16).padStart(2, '0');
    return { offset: ctl.index, text, message: `this is not a scenario: the file holds a control character (0x${code}), so it is not YAML or JSON text` };
  }
  if (badUtf8 >= 0) {
    return { offset: badUtf8, text, message: 'this is not a scenario: the file is not UTF-8 text (it holds a byte sequence UTF-8 does not allow)' };
  }
  return { text };
}
