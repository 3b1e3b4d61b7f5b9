#!/usr/bin/env node
/**
 * `npm start`: makes sure the Electron binary is present (Electron 42+ has no postinstall, so it is
 * fetched here, once, with Electron's own installer), builds the app and starts it.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const electronDir = path.dirname(require.resolve('electron/package.json'))
const { version } = JSON.parse(readFileSync(path.join(electronDir, 'package.json'), 'utf8'))

function electronInstalled() {
  const pathFile = path.join(electronDir, 'path.txt')
  if (!existsSync(pathFile)) return false
  return existsSync(path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()))
}

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { stdio: 'inherit', ...options }).status ?? 1
}

if (!electronInstalled()) {
  console.log(`Fetching the Electron ${version} binary (once)…`)
  if (run(process.execPath, [path.join(electronDir, 'install.js')]) !== 0 || !electronInstalled()) {
    console.error(
      `\nCould not download the Electron ${version} binary: this machine seems to be offline or cannot reach\n` +
        `Electron's download server. Connect once and run \`npm start\` again, or point ELECTRON_MIRROR at a\n` +
        `local mirror. The headless CLI works without it: npm run lightbox -- --help`
    )
    process.exit(1)
  }
}

if (run('npx', ['electron-vite', 'build']) !== 0) process.exit(1)
process.exit(run('npx', ['electron-vite', 'preview', '--skipBuild']))
