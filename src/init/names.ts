/** Service names for `heal init`: a label or a unit made into `[a-z0-9][a-z0-9._-]*`, unique. */

/** `api.service` → `api`, `com.Example.API` → `com.example.api`, `getty@tty1.service` → `getty-tty1`. */
export function serviceNameFrom(id: string): string {
  const bare = id.replace(/\.service$/, '');
  const name = bare
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
  return name === '' ? 'service' : name;
}

/** Names for `ids` in order, each {@link serviceNameFrom}, a clash made unique with `-2`, `-3`, … */
export function uniqueServiceNames(ids: readonly string[]): string[] {
  const taken = new Set<string>();
  return ids.map((id) => {
    const base = serviceNameFrom(id);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    return name;
  });
}
