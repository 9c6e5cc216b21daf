/**
 * The fuzzers of tools/fuzz on GICv2 (see tools/fuzz/suite.ts);
 * `npm run fuzz -- --gic v2 --runs N` runs millions.
 */

// The fuzz tool lives outside the packages (tools/fuzz) and is not part of this
// package's build or type-check: load it at run time.
const { describeFuzz } = (await import(new URL('../../../tools/fuzz/suite.ts', import.meta.url).href)) as {
  describeFuzz(name: string, gic: 'v2' | 'v3', defaultSeed: number): void;
};

describeFuzz('GICv2', 'v2', 0x2a2);
