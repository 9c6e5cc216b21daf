/**
 * A scenario file a visitor opens from their disk: YAML or JSON, or either
 * gzipped (`.yaml.gz`, as `vgic run` reads them), decompressed in the page.
 */
export type Opened = { text: string; name: string } | { error: string };

export async function readScenarioFile(file: Blob & { name: string }): Promise<Opened> {
  const gz = file.name.endsWith('.gz');
  const name = gz ? file.name.slice(0, -3) : file.name;
  let bytes: Uint8Array;
  try {
    bytes = gz ? new Uint8Array(await new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()) : new Uint8Array(await file.arrayBuffer());
  } catch {
    return { error: `${file.name} does not decompress: it is not a gzip file.` };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), name };
  } catch {
    return { error: `${name} is not UTF-8 text: a scenario is a YAML or JSON file.` };
  }
}
