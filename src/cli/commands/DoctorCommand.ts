import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import type { DoctorCheck } from '../../doctor.js';
import { printJson, type GlobalArgs } from '../output.js';

interface DoctorArgs extends GlobalArgs {
  boot: boolean;
}

function mark(check: DoctorCheck): string {
  if (check.status === 'ok') return chalk.green('✔');
  if (check.status === 'warn') return chalk.yellow('!');
  return chalk.red('✘');
}

export const DoctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'Check this machine: the addon, CAP_NET_ADMIN, whether sch_plug works, whether the lab can boot',
  builder: (yargs) =>
    yargs
      .option('boot', { type: 'boolean', default: true, describe: 'Boot the lab VM once to prove it works (--no-boot to skip, ~5-10 s)' })
      .example('$0 doctor', 'all checks')
      .example('$0 doctor --no-boot --json', 'quick checks, as JSON') as never,
  handler: async (argv) => {
    const { runDoctor } = await import('../../doctor.js');
    const report = await runDoctor({ boot: argv.boot, onProgress: argv.json ? undefined : (text) => process.stderr.write(chalk.dim(`${text}\n`)) });
    if (argv.json) {
      printJson(report);
    } else {
      for (const check of report.checks) {
        process.stdout.write(`${mark(check)} ${chalk.bold(check.name)}: ${check.summary}\n`);
        if (check.remedy && check.status !== 'ok') process.stdout.write(`    ${chalk.dim('→')} ${check.remedy}\n`);
      }
      process.stdout.write(`\n${report.verdict}\n`);
    }
    process.exitCode = report.ok ? 0 : 3;
  },
};
