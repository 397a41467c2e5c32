// A node:test reporter that writes one JSON line per failed top-level test: {"file", "name"}.
// scripts/test-all.mjs reads it to rerun only the files that had failures.
export default async function* failures(source) {
  for await (const event of source) {
    if (event.type === 'test:fail' && event.data.nesting === 0) {
      yield `${JSON.stringify({ file: event.data.file ?? null, name: event.data.name })}\n`;
    }
  }
}
