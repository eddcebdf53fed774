/** Runs the built CLI (dist/main.js; root `npm test` runs `tsc -b` first) as a child process. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const cliMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  if (!existsSync(cliMain)) throw new Error(`${cliMain} is missing: run \`npx tsc -b\` at the repo root first`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliMain, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
