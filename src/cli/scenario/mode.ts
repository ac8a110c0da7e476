/** Whether `qplug scenario` shows the live view or the plain progress lines. Light: ink is loaded only when it does. */

export interface LiveChoice {
  /** --json: the summary as JSON on stdout and no progress at all. */
  readonly json: boolean;
  /** false with --no-live. */
  readonly live: boolean;
}

/**
 * The live view draws on stderr, where the plain progress lines go: stdout
 * keeps only the summary (or the JSON), so `> out.txt` or `| tee` still shows
 * the run as it happens. Only on a terminal that can redraw lines.
 */
export function liveViewWanted(stream: { readonly isTTY?: boolean }, choice: LiveChoice, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !choice.json && choice.live && env.TERM !== 'dumb';
}
