#!/usr/bin/env node
/**
 * The README's test command (`npm test`): builds the renderer (the end-to-end tests serve the built app),
 * then runs every test/**\/*.test.ts with node's test runner under tsx.
 *   npm test                 all tests
 *   npm test -- unit         only files whose path contains "unit" (any substring filter works)
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const filters = process.argv.slice(2)

const files = readdirSync(path.join(root, 'test'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join('test', f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()

if (files.length === 0) {
  console.error(`No test files match ${filters.join(' ')}`)
  process.exit(1)
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  return r.status ?? 1
}

if (files.some((f) => f.startsWith(path.join('test', 'e2e')))) {
  if (!existsSync('/usr/bin/chromium') && !process.env.CHROMIUM_PATH) {
    console.error('The end-to-end tests need Chromium: sudo apt-get install -y chromium (or set CHROMIUM_PATH).')
    process.exit(1)
  }
  if (run('npx', ['electron-vite', 'build']) !== 0) process.exit(1)
}

const status = run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files])
process.exit(status)
