// A node:test reporter that repeats every failed test, with where and why, after the run: CI keeps only
// the tail of the output, and the TAP stream names a failure only where it happened.
const MAX_ERROR_LINES = 6;

export default async function* failureSummary(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, line, details } = event.data;
    const error = details?.error;
    if (error?.failureType === 'subtestsFailed') continue; // its failed subtests are listed themselves
    const cause = error?.cause ?? error;
    const text = String(cause?.stack ?? cause ?? 'failed').split('\n').slice(0, MAX_ERROR_LINES);
    failures.push(`# ✖ ${file ?? '?'}:${line ?? '?'} ${name}\n${text.map((l) => `#     ${l}`).join('\n')}\n`);
  }
  if (failures.length === 0) return;
  yield `# ${failures.length} failed test(s):\n`;
  for (const failure of failures) yield failure;
}
