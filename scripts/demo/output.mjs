// Readable progress for `npm run demo`: one numbered line per step with its outcome, details indented below it.
// The success and failure lines have a fixed shape (`step N/M ok: <title>`, `step N/M FAILED: <title>`) that
// scripts/test/demo.test.mjs looks for.

const useColor = process.env.FORCE_COLOR
  ? process.env.FORCE_COLOR !== '0'
  : process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
export const dim = (text) => paint(90, text);
export const bold = (text) => paint(1, text);

/** Prints `lines` (a string or several) indented under the current step. */
export function detail(...lines) {
  for (const line of lines.flatMap((l) => String(l).split('\n'))) process.stdout.write(`        ${line}\n`);
}

/** A progress note that is not an outcome (waiting, retrying), dimmed. */
export function note(text) {
  process.stdout.write(`        ${dim(text)}\n`);
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs the steps in order; the first failure stops the walk-through. Each step is `{title, run}`, `run()` returns
 * an optional one-line summary. Resolves with whether every step succeeded. Once `interrupted()` is true (Ctrl-C),
 * a step that then fails (its processes being stopped under it) is reported as interrupted, not as the cause.
 */
export async function runSteps(steps, interrupted = () => false) {
  const total = steps.length;
  for (const [index, step] of steps.entries()) {
    if (interrupted()) return false;
    const n = `${index + 1}/${total}`;
    process.stdout.write(`\n${bold(`step ${n}`)} ${step.title}…\n`);
    const started = Date.now();
    try {
      const summary = await step.run();
      const took = dim(`(${seconds(Date.now() - started)})`);
      process.stdout.write(`${paint(32, `step ${n} ok:`)} ${step.title}${summary ? ` – ${summary}` : ''} ${took}\n`);
    } catch (err) {
      if (interrupted()) {
        process.stdout.write(`${paint(33, `step ${n} interrupted:`)} ${step.title}\n`);
        return false;
      }
      process.stdout.write(`${paint(31, `step ${n} FAILED:`)} ${step.title}\n`);
      detail(paint(31, `why: ${err?.message ?? err}`));
      if (err?.hint) detail(`hint: ${err.hint}`);
      return false;
    }
  }
  return true;
}

/** An error whose message says what failed, with an optional hint on what to do about it. */
export class DemoError extends Error {
  constructor(message, hint) {
    super(message);
    this.hint = hint;
  }
}
