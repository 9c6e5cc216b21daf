import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readScenarioFile } from './open-file.js';

const TEXT = '# ü\ngic: v3\nvcpus: 1\nsteps:\n  - read: ICC_IAR1_EL1\n';

describe('readScenarioFile', () => {
  it('reads a file as it is, and a .gz one decompressed, named without the .gz', async () => {
    expect(await readScenarioFile(new File([TEXT], 'mine.yaml'))).toEqual({ text: TEXT, name: 'mine.yaml' });
    expect(await readScenarioFile(new File([gzipSync(TEXT)], 'mine.yaml.gz'))).toEqual({ text: TEXT, name: 'mine.yaml' });
  });

  it('says what is wrong with a file that is not gzip, or not text', async () => {
    expect(await readScenarioFile(new File([TEXT], 'mine.yaml.gz'))).toEqual({ error: 'mine.yaml.gz does not decompress: it is not a gzip file.' });
    expect(await readScenarioFile(new File([new Uint8Array([0x67, 0xff, 0xfe, 0x00])], 'bin.yaml'))).toEqual({ error: 'bin.yaml is not UTF-8 text: a scenario is a YAML or JSON file.' });
  });
});
