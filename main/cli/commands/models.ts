import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { formatModelSize, type ModelSummary } from '../../../preload/api'
import { LabError } from '../../errors'
import { defineCommand } from '../command'

type Result = { models: ModelSummary[]; done?: string; checked?: { id: string; sha256: string } }

async function readArg(file: string | undefined, what: string): Promise<Uint8Array> {
  if (!file) throw new LabError('invalid_argument', `Give the ${what}.`)
  try {
    return await readFile(file)
  } catch (err) {
    throw new LabError('not_found', `Could not read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file })
  }
}

export const modelsCommand = defineCommand<Result>({
  name: 'models',
  summary: 'List, check, import, promote, roll back or delete models',
  usage: '[list | check <model.onnx> <manifest.json> | import <model.onnx> <manifest.json> | promote <name@version> | rollback <task[/variant]> | delete <name@version> [--replacement <name@version>]]',
  options: { replacement: { type: 'string' } },
  async run({ positionals, options }, ctx, io) {
    // Loaded on use, so that other commands start quickly.
    const [{ registryFor }, { slotOf }] = await Promise.all([import('../../ml/registry'), import('../../ml/registry/manifest')])
    const registry = registryFor(ctx)
    const [action = 'list', ...rest] = positionals
    const request = async () => {
      const [modelFile, manifestFile] = rest
      const model = await readArg(modelFile, 'ONNX model file')
      const manifest = new TextDecoder().decode(await readArg(manifestFile, 'manifest file'))
      return { model, fileName: path.basename(modelFile), manifest, manifestName: path.basename(manifestFile) }
    }
    switch (action) {
      case 'list':
        return { models: await registry.list() }
      case 'check': {
        const m = await registry.check(await request())
        return { models: await registry.list(), checked: { id: `${m.name}@${m.version}`, sha256: m.sha256! }, done: `${rest[0]} matches its manifest` }
      }
      case 'import': {
        const m = await registry.import(await request())
        io.progress(`imported ${m.id} into ${m.dir}`)
        return { models: await registry.list(), done: `imported ${m.id}` }
      }
      case 'promote': {
        const m = await registry.promote(rest[0] ?? '')
        return { models: await registry.list(), done: `${m.id} is now the active ${slotOf(m.manifest)} model` }
      }
      case 'rollback': {
        const slot = rest[0]
        if (!slot) throw new LabError('invalid_argument', 'Give the task to roll back (task/variant where it has variants, e.g. chromosome-classification/gband).')
        const m = await registry.rollback(slot)
        return { models: await registry.list(), done: `rolled back: ${m.id} is the active ${slot} model again` }
      }
      case 'delete': {
        const replacement = typeof options['replacement'] === 'string' ? options['replacement'] : undefined
        await registry.delete(rest[0] ?? '', replacement)
        return { models: await registry.list(), done: `deleted ${rest[0]}` }
      }
      default:
        throw new LabError('invalid_argument', `Unknown models action "${action}": use list, check, import, promote, rollback or delete.`)
    }
  },
  format(r) {
    const rows = r.models.map(
      (m) =>
        `${m.active ? '*' : ' '} ${m.id.padEnd(32)} ${m.slot.padEnd(32)} ${m.source.padEnd(8)} ${m.available ? formatModelSize(m.sizeBytes) : m.problem}`
    )
    return [...(r.done ? [r.done, ''] : []), '  model                            task (/variant)                  source', ...rows, '', '* active for its task (and variant)'].join('\n')
  }
})
