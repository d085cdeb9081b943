/**
 * Memory sizes as the manifest writes them and as heal reports them. Units are binary, as `ps`
 * counts resident memory (KiB): "512MB" and "512MiB" are both 512 × 1024² bytes. "KB", "MB", "GB",
 * "TB" and their "KiB" … "TiB" spellings are read, with or without a space; the B is a capital
 * (a small b would be bits).
 */

const UNIT_BYTES = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 } as const;
const SIZE = /^(\d+(?:\.\d+)?) ?([kKmMgGtT])i?B$/;

/** "512MB", "1.5GB", "800KB", "2GiB" → bytes (binary units); undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, string];
  return Math.round(Number(amount) * UNIT_BYTES[unit.toLowerCase() as keyof typeof UNIT_BYTES]);
}

/** Bytes for people, to three significant digits: "800 KiB", "312 MiB", "1.52 GiB". */
export function formatSize(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'] as const;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}
