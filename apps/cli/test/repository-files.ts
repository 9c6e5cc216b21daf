/** Every scenario file the repository holds (examples, conformance, the recorded guests), as text, by path. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '../../..');

export function repositoryFiles(): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of ['examples', 'conformance', 'conformance/recorded']) {
    for (const name of readdirSync(join(root, dir)).sort()) {
      if (!/\.(ya?ml|json)(\.gz)?$/.test(name)) continue;
      const bytes = readFileSync(join(root, dir, name));
      out.push([`${dir}/${name}`, (name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')]);
    }
  }
  return out;
}
