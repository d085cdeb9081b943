/**
 * The command line: commander wiring, each command lazy-imported so `heal validate` never loads
 * what `heal scan` needs, and one catch that turns every error into one line and an exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, EXIT, exitCodeFor, HealError, ManifestFileError } from './common/errors.js';
import { handleInterrupts } from './process/interrupt.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** What `--state-dir` says in the help of the commands that use the state. */
const STATE_DIR_HELP = 'the state directory';

/**
 * Adds the options most commands share, in this order: `-c, --config`, and `--state-dir` with
 * `stateDirHelp` for the commands that read or write the state.
 */
function withManifestOptions(command: Command, stateDirHelp?: string): Command {
  command.option('-c, --config <file>', 'the manifest (default: $HEAL_CONFIG, else ./services.yaml)');
  if (stateDirHelp !== undefined) command.option('--state-dir <dir>', stateDirHelp);
  return command;
}

function buildProgram(): Command {
  const program = new Command('heal')
    .description('Checks local services, restarts what is down without ever storming, and alerts in tiers.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError('(run heal --help for usage)');

  withManifestOptions(
    program.command('scan').description('one full pass: check every service, restart what is down, save state'),
    `${STATE_DIR_HELP} (default: $HEAL_STATE_DIR, else state_dir, else ~/.local/state/heal)`,
  )
    .option('--dry-run', 'decide and report, restart nothing, write no state')
    .option('--json', 'print the report as one JSON document')
    .addOption(new Option('--only <name>', 'scan only this service (repeatable)').argParser(collect))
    .action(async (options) => {
      const { scanCommand } = await import('./commands/scan.js');
      process.exitCode = await scanCommand(options);
    });

  withManifestOptions(
    program.command('validate').description('parse and check the manifest, touch nothing'),
  ).action(async (options) => {
    const { validateCommand } = await import('./commands/validate.js');
    process.exitCode = await validateCommand(options);
  });

  withManifestOptions(
    program.command('status').description('what the state directory knows, without running any check'),
    STATE_DIR_HELP,
  )
    .option('--json', 'print one JSON document')
    .action(async (options) => {
      const { statusCommand } = await import('./commands/status.js');
      process.exitCode = await statusCommand(options);
    });

  withManifestOptions(program.command('incidents').description("the services' incidents from the history, newest first: when, how long, restarts, alerts"), STATE_DIR_HELP)
    .option('--since <duration>', 'only incidents open at some time in this last while, e.g. 7d or 24h')
    .option('--service <name>', 'only this service')
    .option('--json', 'print one JSON document')
    .action(async (options) => {
      const { incidentsCommand } = await import('./commands/incidents.js');
      process.exitCode = await incidentsCommand(options);
    });

  withManifestOptions(program.command('page').description("write the status page: one HTML file of the services' state, uptime, latency and incidents"), STATE_DIR_HELP)
    .option('--out <file>', "where to write it (default: the manifest's status_page)")
    .action(async (options) => {
      const { pageCommand } = await import('./commands/page.js');
      process.exitCode = await pageCommand(options);
    });

  withManifestOptions(program.command('maintenance').description('list the maintenance windows: which holds now, when each comes next'))
    .option('--json', 'print one JSON document')
    .action(async (options) => {
      const { maintenanceCommand } = await import('./commands/maintenance.js');
      process.exitCode = await maintenanceCommand(options);
    });

  withManifestOptions(
    program.command('reset').description("clear a service's heal history, cooldown and counters").argument('<name>', 'the service'),
    STATE_DIR_HELP,
  ).action(async (name: string, options) => {
    const { resetCommand } = await import('./commands/reset.js');
    process.exitCode = await resetCommand(name, options);
  });

  withManifestOptions(
    program
      .command('silence')
      .description('stop alerts about a service for a while; it is still checked and healed')
      .argument('<name>', 'the service')
      .requiredOption('--for <duration>', 'how long, e.g. 30m or 2h')
      .option('--reason <text>', 'why, shown by heal status'),
    STATE_DIR_HELP,
  ).action(async (name: string, options) => {
    const { silenceCommand } = await import('./commands/silence.js');
    process.exitCode = await silenceCommand(name, options);
  });

  withManifestOptions(
    program.command('unsilence').description('lift a silence').argument('<name>', 'the service'),
    STATE_DIR_HELP,
  ).action(async (name: string, options) => {
    const { unsilenceCommand } = await import('./commands/silence.js');
    process.exitCode = await unsilenceCommand(name, options);
  });

  withManifestOptions(
    program
      .command('install')
      .description('write (or print) the schedule that runs heal scan: a LaunchAgent, a crontab line or a systemd user timer')
      .argument('<target>', 'launchd, cron or systemd')
      .option('--interval <seconds>', "seconds between scans, or a duration such as 5m (default: the manifest's interval, 5m)")
      .option('--print', 'print what would be written and write nothing (the default for cron)')
      .option('--write', "cron: put the line into the user's crontab, replacing an earlier heal line")
      .option('--label <label>', 'launchd: the job label (default com.heal.scan)'),
  ).action(async (target: string, options) => {
    const { installCommand } = await import('./commands/install.js');
    process.exitCode = await installCommand(target, options);
  });

  withManifestOptions(
    program.command('doctor').description('check the set-up: manifest, restart targets, schedule, last scan, state folder, Node, alert channels'),
    `${STATE_DIR_HELP} (default: $HEAL_STATE_DIR, else state_dir, else ~/.local/state/heal)`,
  )
    .option('--send', 'also send a test notice through each alert channel')
    .action(async (options) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      process.exitCode = await doctorCommand(options);
    });

  program
    .command('init')
    .description('propose a services.yaml from what the machine runs: LaunchAgents or systemd units, their ports and health paths')
    .option('--from <source>', "launchd or systemd (default: the platform's)")
    .option('--print', 'print the manifest on stdout, write nothing')
    .option('--out <file>', 'where to write it (default ./services.yaml)')
    .option('--force', 'replace an existing file')
    .option('--all', "keep every job, the system's own included")
    .action(async (options) => {
      const { initCommand } = await import('./commands/init.js');
      process.exitCode = await initCommand(options);
    });

  const alert = program.command('alert').description('alert channels');
  withManifestOptions(
    alert
      .command('test')
      .description('send a test notice through the channels and report each')
      .option('--channel <name>', 'only this channel')
      .option('--level <level>', "the channels of this level (critical, warning, info) and the notice's level"),
  ).action(async (options) => {
    const { alertTestCommand } = await import('./commands/alert-test.js');
    process.exitCode = await alertTestCommand(options);
  });

  return program;
}

const VERSION = '0.1.0';

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = report(error);
  }
}

/** The one catch: a line per problem on stderr, never a stack trace unless HEAL_DEBUG is set. */
function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version exit 0; every other commander error is a usage error (already printed).
    return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
  }
  if (error instanceof ConfigError) {
    for (const problem of error.problems) process.stderr.write(`${problem}\n`);
    if (!(error instanceof ManifestFileError)) process.stderr.write(`heal: the manifest is invalid (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'})\n`);
  } else if (error instanceof HealError) {
    process.stderr.write(`heal: ${error.message}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`heal: internal error: ${message.split('\n')[0]}\n`);
    if (process.env['HEAL_DEBUG']) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  }
  return exitCodeFor(error);
}

// SIGTERM/SIGINT/SIGHUP end the commands heal runs and release the scan lock; exit 128 + signal.
handleInterrupts();
await main(process.argv);
// Nothing a scan started may keep the process alive past its report (a detached service is unref'd).
process.exit(process.exitCode ?? 0);
