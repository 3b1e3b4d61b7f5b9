import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot } from '../../main/app/paths'

function lightbox(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, LIGHTBOX_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lightbox-cli-')) }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('lightbox CLI', () => {
  it('info --json prints exactly one JSON object as the last line', () => {
    const r = lightbox('info', '--json')
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    const info = JSON.parse(lines.at(-1)!)
    assert.equal(info.name, 'Lightbox')
    assert.equal(typeof info.cpus, 'number')
    assert.ok(info.inference && Array.isArray(info.inference.providers))
  })

  it('version prints the package version', () => {
    const r = lightbox('version')
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^Lightbox \d+\.\d+\.\d+/)
  })

  it('--help lists the commands', () => {
    const r = lightbox('--help')
    assert.equal(r.code, 0)
    assert.match(r.stdout, /info\s+Runtime facts/)
  })

  it('an unknown command or option fails on stderr with a non-zero exit', () => {
    const a = lightbox('frobnicate')
    assert.notEqual(a.code, 0)
    assert.match(a.stderr, /unknown command "frobnicate"/)
    assert.equal(a.stdout, '')
    const b = lightbox('info', '--frob')
    assert.notEqual(b.code, 0)
    assert.match(b.stderr, /Unknown option '--frob'/)
  })
})
