/**
 * What `heal doctor` reports: one finding per thing it checked, passed (`✓ …`) or failed
 * (`✗ … — <fix>`), each on one line. Pure.
 */

/** One checked thing: what was found, and for a failure how to fix it. */
export type Finding = { ok: true; text: string } | { ok: false; text: string; fix: string };

/** A passed check. */
export function pass(text: string): Finding {
  return { ok: true, text };
}

/** A failed check and its fix. */
export function fail(text: string, fix: string): Finding {
  return { ok: false, text, fix };
}

/** `✓ text` or `✗ text — fix`, always one line (a line break in a path or message is shown as `\n`). */
export function findingLine(finding: Finding): string {
  const line = finding.ok ? `✓ ${finding.text}` : `✗ ${finding.text} — ${finding.fix}`;
  return line.replace(/\r?\n/g, '\\n');
}

/** 0 when every finding passed, else 1. */
export function doctorExitCode(findings: readonly Finding[]): 0 | 1 {
  return findings.every((f) => f.ok) ? 0 : 1;
}
