#!/usr/bin/env node
// Fails the build when the release bundle holds development-only code: the in-browser demo
// or the mock backend (ui/dev/). src/boot.tsx loads them only under import.meta.env.DEV,
// which Vite turns into `false` for a release build, so they must not be here.
//
//   node scripts/check-dist.mjs [dist]

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Strings only ui/dev/ contains: its marker, names and canned data that survive minification. */
export const DEV_ONLY_STRINGS = [
  'ciba-desk:dev-only', // DEV_ONLY_MARKER in dev/fixtures.ts
  'MockBackend',
  'startDemo',
  'mockHistoryEntry',
  'defaultMockProfiles',
  'cannedNationalIdCheck',
  'KNOWN_NATIONAL_IDS',
  'Tolvan Tolvansson',
  'Kari Nordmann',
  'desk.idura.broker',
  'history-broken',
];

/** Chunk names the demo or mock would get if they were bundled. */
const DEV_ONLY_FILES = /(^|[/\\])(demo|mock|mock-backend|fixtures)[-.][^/\\]*$/i;

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * What in `dir` is development-only code: each as `{ file, found }` (a string it contains, or
 * "file name"). Empty when the bundle is clean.
 * @param {string} dir
 * @returns {{ file: string, found: string }[]}
 */
export function findDevCode(dir) {
  const problems = [];
  for (const path of files(dir)) {
    const file = relative(dir, path);
    if (DEV_ONLY_FILES.test(file)) problems.push({ file, found: 'file name' });
    if (!/\.(js|mjs|html|css|map)$/.test(file)) continue;
    const text = readFileSync(path, 'utf8');
    for (const needle of DEV_ONLY_STRINGS) {
      if (text.includes(needle)) problems.push({ file, found: needle });
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(fileURLToPath(new URL('..', import.meta.url)), 'dist'));
  const problems = findDevCode(dir);
  if (problems.length > 0) {
    console.error(`check-dist: ${dir} contains development-only code (ui/dev/: the demo or the mock backend):`);
    for (const { file, found } of problems) console.error(`  ${file}: ${found}`);
    console.error('Load it only under import.meta.env.DEV (see src/boot.tsx).');
    process.exit(1);
  }
  console.log(`check-dist: ${relative(process.cwd(), dir) || '.'} holds no demo or mock code.`);
}
