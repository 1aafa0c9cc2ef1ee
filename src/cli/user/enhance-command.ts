import { writeFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { stringify } from 'csv-stringify/sync';
import type { CreatedEnhancement, CreateEnhancementInput, EnhancementAnswer } from '../../client/index.ts';
import { UsageError } from './cli-errors.ts';
import { batchesOf, idempotencyKeyFor, readImages } from './enhance-input.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { type Output, table } from './output.ts';
import { type CommandRun, connect } from './session.ts';

interface EnhanceOptions {
  preset?: string;
  preservation?: 'strict' | 'balanced' | 'creative';
  instructions?: string;
  webhookUrl?: string;
  idempotencyKey?: string;
  fresh?: boolean;
  wait?: boolean;
  output?: string;
  interval: number;
  timeout: number;
}

const CSV_COLUMNS = [
  'enhancement_id',
  'item_id',
  'external_id',
  'source_url',
  'status',
  'result_url',
  'thumbnail_url',
  'error_code',
  'error_message',
  'warnings',
];

function resultsCsv(answers: EnhancementAnswer[]): string {
  const rows = answers.flatMap(({ enhancement }) =>
    enhancement.items.map((item) => [
      enhancement.id,
      item.id,
      item.external_id ?? '',
      item.source_url,
      item.status,
      item.result_url ?? '',
      item.thumbnail_url ?? '',
      item.error_code ?? '',
      item.error_message ?? '',
      item.warnings.map((w) => w.code).join(';'),
    ]),
  );
  return stringify([CSV_COLUMNS, ...rows]);
}

/** Item progress: a bar on a terminal, a line whenever the counts change otherwise. */
function progressReporter(out: Output, label: string) {
  const line = ({ enhancement: e }: EnhancementAnswer) =>
    `${e.completed_items + e.failed_items}/${e.total_items} items (${e.completed_items} completed, ${e.failed_items} failed) ${e.status}`;
  if (process.stderr.isTTY && !out.json) {
    const bar = new SingleBar({
      stream: process.stderr,
      hideCursor: true,
      format: `${label} |{bar}| {line}`,
    });
    let started = false;
    return {
      update(answer: EnhancementAnswer) {
        const { enhancement: e } = answer;
        if (!started) bar.start(e.total_items, 0, { line: line(answer) });
        started = true;
        bar.update(e.completed_items + e.failed_items, { line: line(answer) });
      },
      stop: () => (started ? bar.stop() : undefined),
    };
  }
  let last = '';
  return {
    update(answer: EnhancementAnswer) {
      const text = `${label} ${answer.enhancement.id}: ${line(answer)}`;
      if (text !== last) out.note(text);
      last = text;
    },
    stop: () => undefined,
  };
}

function exitCodeOfAnswers(answers: EnhancementAnswer[]): ExitCode {
  const items = answers.flatMap((a) => a.enhancement.items);
  const failed = items.filter((i) => i.status === 'failed').length;
  if (failed === 0) return EXIT.ok;
  return failed < items.length ? EXIT.partial : EXIT.api;
}

function createdTable(created: CreatedEnhancement[]): string {
  return table(
    ['ENHANCEMENT', 'STATUS', 'ITEMS', 'CREDITS', 'SANDBOX', 'IDEMPOTENCY KEY'],
    created.map((c) => [
      c.enhancement.id,
      c.replayed ? `${c.enhancement.status} (replayed)` : c.enhancement.status,
      String(c.enhancement.total_items),
      String(c.enhancement.credits_reserved),
      c.enhancement.sandbox ? 'yes' : 'no',
      c.idempotencyKey,
    ]),
  );
}

export const enhanceCommand: CommandRun<EnhanceOptions> = async ({ args, options, out }) => {
  const batches = batchesOf(await readImages(args[0] as string[]));
  if (batches.length > 1 && !options.wait) {
    throw new UsageError(
      `${batches.length} batches of up to 20 images: add --wait (a key runs one batch at a time, so they run in turn)`,
    );
  }
  const { client } = await connect(options, 'required');
  const bodies: CreateEnhancementInput[] = batches.map((images) => ({
    images,
    ...(options.preset ? { preset: options.preset } : {}),
    ...(options.preservation ? { preservation_level: options.preservation } : {}),
    ...(options.instructions ? { instructions: options.instructions } : {}),
    ...(options.webhookUrl ? { webhook_url: options.webhookUrl } : {}),
  }));
  const keys = bodies.map((body, i) => idempotencyKeyFor(body, i, bodies.length, options));

  if (!options.wait) {
    const [body] = bodies;
    const [idempotencyKey] = keys;
    const created = await client.enhancements.create(
      body as CreateEnhancementInput,
      idempotencyKey ? { idempotencyKey } : {},
    );
    out.result(created, () =>
      [
        createdTable([created]),
        '',
        'Run the same command with --wait to follow it and get the results CSV.',
      ].join('\n'),
    );
    return EXIT.ok;
  }

  const deadline = Date.now() + options.timeout * 1000;
  const answers: EnhancementAnswer[] = [];
  const created: CreatedEnhancement[] = [];
  for (const [index, body] of bodies.entries()) {
    const idempotencyKey = keys[index];
    const batch = await client.enhancements.create(body, idempotencyKey ? { idempotencyKey } : {});
    created.push(batch);
    const reporter = progressReporter(out, `batch ${index + 1}/${bodies.length}`);
    try {
      answers.push(
        await client.enhancements.wait(batch.enhancement.id, {
          intervalMs: options.interval * 1000,
          timeoutMs: Math.max(1, deadline - Date.now()),
          onUpdate: (answer) => reporter.update(answer),
        }),
      );
    } finally {
      reporter.stop();
    }
  }

  const csv = resultsCsv(answers);
  const target =
    options.output ??
    (out.json ? undefined : `lightbox-enhance-${answers[0]?.enhancement.id.slice(0, 8)}.csv`);
  if (target === '-') process.stdout.write(csv);
  else if (target) await writeFile(target, csv);
  if (target !== '-') {
    out.result(
      {
        enhancements: answers.map((a) => a.enhancement),
        idempotency_keys: created.map((c) => c.idempotencyKey),
        results_csv: target ?? null,
      },
      () => {
        const items = answers.flatMap((a) => a.enhancement.items);
        const done = items.filter((i) => i.status === 'completed').length;
        return [
          table(
            ['ENHANCEMENT', 'STATUS', 'COMPLETED', 'FAILED', 'WITH WARNINGS'],
            answers.map(({ enhancement: e }) => [
              e.id,
              e.status,
              String(e.completed_items),
              String(e.failed_items),
              String(e.items_with_warnings),
            ]),
          ),
          '',
          `${done} of ${items.length} images enhanced. Results: ${target}`,
        ].join('\n');
      },
    );
  }
  return exitCodeOfAnswers(answers);
};
