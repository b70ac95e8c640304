// `eventdb verify`: rebuilds what the log implies and compares; exit 4 on differences, --repair repairs them (db.rebuild()).

import type { VerifyReport } from '../../index.js';
import { EXIT, UsageError, type Command, type CommandContext } from '../command.js';
import { count } from '../format.js';
import { printAnswer } from '../output.js';
import { withStore } from '../store.js';

/** `eventdb verify [--repair]` */
export const verify: Command = {
  name: 'verify',
  summary: 'check that indexes, counters and profiles equal a rebuild from the log',
  usage: `Usage: eventdb verify [--repair]

Rebuilds everything derived from the log in scratch memory and lists every
difference from the stored state (db.verify()). Reads the whole log.
Exit code 4 when differences are found (even when --repair fixed them).

Options:
  --repair   also repair every difference but gaps in the log itself, in one transaction (db.rebuild())`,
  options: { repair: { type: 'boolean', default: false } },
  run: async (context: CommandContext) => {
    if (context.positionals.length > 0) throw new UsageError(`verify takes no arguments, got "${context.positionals[0]}"`);
    const repair = context.values['repair'] === true;
    const report = await withStore(context, repair ? 'write' : 'read', (db) => (repair ? db.rebuild() : db.verify()));
    printAnswer(context, report, toText);
    return report.ok ? EXIT.ok : EXIT.differences;
  },
};

function toText(report: VerifyReport): string {
  const checked = `${count(report.recordsChecked)} records checked`;
  if (report.ok) return `ok: ${checked}, the store equals what its log implies`;
  const repaired =
    report.repaired === true
      ? '; all repaired'
      : report.repaired === false
        ? `; repaired except ${count(report.unrepairable?.length ?? 0)} in the log itself (restore a backup)`
        : '';
  const lines = [`${count(report.differenceCount)} differences (${checked})${repaired}:`];
  for (const difference of report.differences) lines.push(`  ${difference.kind}: ${difference.message}`);
  if (report.differenceCount > report.differences.length) lines.push(`  … and ${count(report.differenceCount - report.differences.length)} more`);
  return lines.join('\n');
}
