/**
 * A small reader of XML property lists (pure), for the few keys `heal init` needs of a
 * LaunchAgent: Label, Program, ProgramArguments. It reads the XML form that launchd's plists are
 * written in; a binary plist (`bplist00…`, what `plutil -convert binary1` makes) is reported as
 * such, not read (`plutil` does not exist off macOS).
 */

/** A plist value: string, number, boolean, date (as text), data (as its base64 text), array or dict. */
export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

/** What a LaunchAgent's plist says, or why it could not be read. */
export type LaunchAgentPlist = { ok: true; label: string; program: string[] } | { ok: false; error: string };

type Token = { close: boolean; name: string; empty: boolean } | { text: string };

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? whole;
  });
}

function tokenize(xml: string): Token[] {
  const body = xml.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, '');
  const tokens: Token[] = [];
  for (const match of body.matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>|([^<]+)/g)) {
    if (match[4] !== undefined) tokens.push({ text: match[4] });
    else tokens.push({ close: match[1] === '/', name: match[2] as string, empty: match[3] === '/' });
  }
  return tokens;
}

class Reader {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  /** The next element, skipping whitespace between elements. */
  private nextTag(): { close: boolean; name: string; empty: boolean } {
    for (;;) {
      const token = this.tokens[this.at++];
      if (token === undefined) throw new Error('the XML ends early');
      if ('text' in token) {
        if (token.text.trim() !== '') throw new Error(`unexpected text ${JSON.stringify(token.text.trim().slice(0, 20))}`);
        continue;
      }
      return token;
    }
  }

  /** The text up to `</name>`. */
  private textUntil(name: string): string {
    let text = '';
    for (;;) {
      const token = this.tokens[this.at++];
      if (token === undefined) throw new Error(`<${name}> is not closed`);
      if ('text' in token) text += token.text;
      else if (token.close && token.name === name) return decode(text);
      else throw new Error(`<${token.name}> inside <${name}>`);
    }
  }

  value(open = this.nextTag()): PlistValue {
    if (open.close) throw new Error(`unexpected </${open.name}>`);
    switch (open.name) {
      case 'plist': {
        const inner = this.value();
        this.expectClose('plist');
        return inner;
      }
      case 'dict':
        return open.empty ? {} : this.dict();
      case 'array':
        return open.empty ? [] : this.array();
      case 'true':
      case 'false':
        if (!open.empty) this.expectClose(open.name);
        return open.name === 'true';
      case 'string':
      case 'date':
      case 'data':
        return open.empty ? '' : this.textUntil(open.name);
      case 'integer':
      case 'real':
        return Number(this.textUntil(open.name).trim());
      default:
        throw new Error(`unknown element <${open.name}>`);
    }
  }

  private expectClose(name: string): void {
    const tag = this.nextTag();
    if (!tag.close || tag.name !== name) throw new Error(`expected </${name}>, found <${tag.close ? '/' : ''}${tag.name}>`);
  }

  private dict(): { [key: string]: PlistValue } {
    const entries: { [key: string]: PlistValue } = {};
    for (;;) {
      const tag = this.nextTag();
      if (tag.close && tag.name === 'dict') return entries;
      if (tag.name !== 'key' || tag.close) throw new Error(`expected <key> in <dict>, found <${tag.name}>`);
      const key = this.textUntil('key');
      entries[key] = this.value();
    }
  }

  private array(): PlistValue[] {
    const items: PlistValue[] = [];
    for (;;) {
      const tag = this.nextTag();
      if (tag.close && tag.name === 'array') return items;
      items.push(this.value(tag));
    }
  }
}

/** Parses an XML plist into its value; throws an Error saying what is wrong. */
export function parsePlist(xml: string): PlistValue {
  return new Reader(tokenize(xml)).value();
}

/** Label and what the job runs (ProgramArguments, else Program) of a LaunchAgent's plist text. */
export function readLaunchAgent(text: string): LaunchAgentPlist {
  if (text.startsWith('bplist')) return { ok: false, error: 'a binary plist: heal init reads XML plists only (plutil -convert xml1 FILE makes one)' };
  let root: PlistValue;
  try {
    root = parsePlist(text);
  } catch (error) {
    return { ok: false, error: `not a plist heal can read: ${(error as Error).message}` };
  }
  if (typeof root !== 'object' || Array.isArray(root)) return { ok: false, error: 'its top level is not a <dict>' };
  const label = root['Label'];
  if (typeof label !== 'string' || label === '') return { ok: false, error: 'no Label' };
  const args = root['ProgramArguments'];
  const program = Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [];
  if (program.length === 0 && typeof root['Program'] === 'string') program.push(root['Program']);
  return { ok: true, label, program };
}
