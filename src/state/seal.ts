/**
 * The seal on a state file heal wrote itself: the file is the state's compact JSON with one more
 * key at its end, `"seal"`, the SHA-256 of this build of heal (common/build-stamp.ts) and of that
 * JSON. A file whose seal matches is byte for byte what this build saved — already valid — and is
 * read without its schema (zod costs a scan ~15 ms to load and run). Anything else — written by
 * someone else, hand-edited, truncated, from another version or build, or from before seals — has
 * no matching seal and is validated as it always was. A seal is no protection against someone
 * who means harm (root's trust check of the state directory is, see store.ts): it tells heal's
 * own intact file from every other.
 */
import { createHash } from 'node:crypto';
import { BUILD_STAMP } from '../common/build-stamp.js';
import type { State } from './schema.js';

const SEAL_KEY = ',"seal":"';
/** `,"seal":"` + 64 hex digits + `"}` + a newline. */
const SEAL_TAIL_LENGTH = SEAL_KEY.length + 64 + 3;

function sealOf(json: string): string {
  return createHash('sha256').update(BUILD_STAMP).update('\n').update(json).digest('hex');
}

/** The text of a state file: the state's compact JSON, sealed. */
export function sealedStateText(state: State): string {
  const json = JSON.stringify(state);
  return `${json.slice(0, -1)}${SEAL_KEY}${sealOf(json)}"}\n`;
}

/**
 * The state in `text` when it is a file this build sealed and nobody changed since; undefined
 * otherwise (the caller validates it). Never throws.
 */
export function unsealState(text: string): State | undefined {
  if (text.length <= SEAL_TAIL_LENGTH || !text.endsWith('"}\n')) return undefined;
  const at = text.length - SEAL_TAIL_LENGTH;
  if (!text.startsWith(SEAL_KEY, at)) return undefined;
  const json = `${text.slice(0, at)}}`;
  if (text.slice(at + SEAL_KEY.length, -3) !== sealOf(json)) return undefined;
  try {
    return JSON.parse(json) as State;
  } catch {
    return undefined;
  }
}
