/**
 * Code is placed by the process it runs in (VS Code's layering rule, as a test): the renderer never
 * imports main-process code and main never imports the renderer; Electron is imported only by
 * main/index.ts and the preload; onnxruntime-node only by the model runtime.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot } from '../../main/app/paths'

function sources(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { recursive: true })
    .map(String)
    .filter((f) => /\.(ts|svelte)$/.test(f))
    .map((f) => path.join(dir, f))
}

/** Module specifiers a file imports; type-only imports are left out with `valuesOnly`. */
function imports(file: string, valuesOnly = false): string[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8')
  const specs: string[] = []
  for (const m of text.matchAll(/(?:import|export)\s([^'"]*?)from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    if (valuesOnly && m[1]?.startsWith('type ')) continue
    specs.push(m[2] ?? m[3])
  }
  return specs
}

function resolvesInto(file: string, spec: string, dir: string): boolean {
  if (!spec.startsWith('.')) return false
  const target = path.relative(repoRoot, path.resolve(path.dirname(path.join(repoRoot, file)), spec))
  return target === dir || target.startsWith(dir + path.sep)
}

describe('layering', () => {
  it('the renderer imports nothing from main/', () => {
    const bad = sources('renderer').flatMap((f) => imports(f).filter((s) => resolvesInto(f, s, 'main')).map((s) => `${f} → ${s}`))
    assert.deepEqual(bad, [])
  })

  it('main/ imports nothing from renderer/', () => {
    const bad = sources('main').flatMap((f) => imports(f).filter((s) => resolvesInto(f, s, 'renderer')).map((s) => `${f} → ${s}`))
    assert.deepEqual(bad, [])
  })

  it('only main/index.ts and preload/index.ts import electron', () => {
    const users = [...sources('main'), ...sources('preload'), ...sources('renderer')].filter((f) =>
      imports(f).some((s) => s === 'electron' || s.startsWith('electron/'))
    )
    assert.deepEqual(users.sort(), [path.join('main', 'index.ts'), path.join('preload', 'index.ts')])
  })

  it('only the model runtime imports onnxruntime-node', () => {
    const users = [...sources('main'), ...sources('renderer')].filter((f) => imports(f, true).some((s) => s.startsWith('onnxruntime')))
    for (const f of users) assert.ok(f.startsWith(path.join('main', 'ml', 'runtime')), `${f} imports onnxruntime directly`)
  })
})
