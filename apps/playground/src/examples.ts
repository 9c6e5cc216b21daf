/**
 * The bundled examples: the repository's examples/ scenarios (the ones
 * `vgic examples` ships), read into the page at build time, so picking one
 * fetches nothing.
 */
import { openingComment, type Intro } from './intro.js';

export interface Example {
  /** The file name without `.yaml`: `02-first-interrupt-v3`. */
  id: string;
  /** `v2` | `v3`, from the file's `gic:` key. */
  gic: string;
  intro: Intro;
  text: string;
}

const files: Record<string, string> = import.meta.glob('../../../examples/*.yaml', { query: '?raw', import: 'default', eager: true });

export const EXAMPLES: readonly Example[] = Object.keys(files)
  .sort()
  .map((path) => {
    const text = files[path]!;
    return {
      id: path.replace(/^.*\//, '').replace(/\.yaml$/, ''),
      gic: /^gic:\s*(v\d)\b/m.exec(text)?.[1] ?? '',
      intro: openingComment(text),
      text,
    };
  });

export function exampleById(id: string): Example | undefined {
  return EXAMPLES.find((e) => e.id === id);
}

/** The example whose text this is, if it is one unchanged. */
export function exampleOfText(text: string): Example | undefined {
  return EXAMPLES.find((e) => e.text === text);
}

/** Each GIC's first-interrupt example: where a visitor who picks a GIC starts. */
export function firstExampleFor(gic: string): Example | undefined {
  return EXAMPLES.find((e) => e.gic === gic);
}
