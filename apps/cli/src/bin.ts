/** The `vgic` executable: runs `main` on the process's arguments and streams. */
import { main } from './main.js';
import { wantsColour } from './report.js';

// A reader that stops early (`vgic run ... | head`) closes the pipe: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const io = {
  out: (text: string) => void process.stdout.write(text),
  err: (text: string) => void process.stderr.write(text),
  colour: wantsColour(process.stdout.isTTY, process.env),
};

try {
  process.exitCode = await main(process.argv.slice(2), io);
} catch (e) {
  // A fault of vgic itself, not of the input: say so in one line, no stack unless asked for.
  process.stderr.write(`vgic: internal error: ${(e as Error).message ?? String(e)}\n`);
  if (process.env['VGIC_DEBUG']) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  process.exitCode = 70;
}
