/**
 * The proposal as a commented services.yaml (pure): a header saying where it came from, the
 * services in flow style as the README writes them, the jobs that listen on nothing as comments,
 * and the alert block commented out with an example.
 */
import type { Proposal, ProposedCheck, ProposedRestart, ProposedService } from './proposal.js';
import type { FoundJob } from './types.js';

/** A YAML scalar: plain when it is safe, else double-quoted (JSON is valid YAML). `$` is doubled: heal reads `${…}` as a variable. */
export function scalar(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  const text = value.replaceAll('$', '$$$$');
  return /^[A-Za-z0-9_/][A-Za-z0-9._/@-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~)$/i.test(text) ? text : JSON.stringify(text);
}

/** One line of a comment: newlines and control characters become spaces. */
function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function flow(entries: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(entries)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${scalar(v as string | number | boolean)}`);
  return `{ ${parts.join(', ')} }`;
}

function checkLine(check: ProposedCheck): string {
  return check.type === 'port' ? flow({ type: 'port', host: check.host, port: check.port }) : flow({ type: 'http', url: check.url });
}

function restartLine(restart: ProposedRestart): string {
  return restart.type === 'launchd'
    ? flow({ type: 'launchd', label: restart.label, plist: restart.plist })
    : flow({ type: 'systemd', unit: restart.unit, user: restart.user });
}

/** Where a job came from, for its comment: `api.service (pid 123, /etc/systemd/system/api.service)`. */
function origin(job: FoundJob): string {
  const where = job.plist ?? job.fragment;
  const parts = [job.pid !== undefined ? `pid ${job.pid}` : 'not running', ...(where ? [where] : []), ...(job.user ? ['systemctl --user'] : [])];
  return commentText(`${job.id} (${parts.join(', ')})`);
}

function serviceBlock(service: ProposedService): string[] {
  return [
    `  # ${origin(service.job)}`,
    ...(service.job.about ? [`  # ${commentText(service.job.about)}`] : []),
    `  ${service.name}:`,
    '    checks:',
    ...service.checks.map((check) => `      - ${checkLine(check)}`),
    `    restart: ${restartLine(service.restart)}`,
  ];
}

const ALERTS_EXAMPLE = [
  '# alerts:                    # uncomment and fill in to be told; without it heal logs what it does',
  '#   levels:',
  '#     critical: { threshold: 3, cooldown: 1h, channels: [discord, log] }',
  '#   channels:',
  '#     discord: { type: discord, webhook_url: "${DISCORD_WEBHOOK_URL}" }',
  '#     log: { type: log }',
];

/**
 * The manifest text. `source` names what was asked (`systemd`, `launchd`), `date` when (an
 * ISO day), for the header.
 */
export function renderManifest(proposal: Proposal, source: string, date: string): string {
  const lines = [
    `# services.yaml proposed by heal init from ${source} on ${date}.`,
    '# Read it through: keep the services you want healed, then run heal validate and heal scan --dry-run.',
    ...(proposal.leftOut ? [`# ${proposal.leftOut} job(s) of the system's own (or neither listening nor yours) were left out; heal init --all lists them.`] : []),
    'version: 1',
    '',
    ...ALERTS_EXAMPLE,
    '',
  ];
  if (proposal.services.length) {
    lines.push('services:');
    for (const service of proposal.services) lines.push(...serviceBlock(service), '');
  } else {
    lines.push('# No job listens on a TCP port: add services by hand (see the README).', 'services: {}', '');
  }
  if (proposal.unnamed.length) {
    lines.push('# These listen, but heal cannot restart them by this name: add them by hand with a command restart if they matter:');
    for (const { job, reason } of proposal.unnamed) {
      const ports = job.listeners.map((l) => l.port).join(', ');
      lines.push(`#   ${origin(job)} listens on ${ports}: ${commentText(reason)}`);
    }
    lines.push('');
  }
  if (proposal.quiet.length) {
    lines.push('# These listen on no TCP port: watch them with a file (heartbeat) or command check if they matter:');
    for (const job of proposal.quiet) {
      lines.push(`#   ${origin(job)}${job.about ? ` — ${commentText(job.about)}` : ''}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
