import { appInfo } from '../../app/info'
import { runtimeFor } from '../../ml/runtime'
import { defineCommand } from '../command'

export const infoCommand = defineCommand({
  name: 'info',
  summary: 'Runtime facts: versions, machine, data folder, inference providers',
  usage: '[--json]',
  async run(_cmd, ctx) {
    // Try the inference providers now, so that the answer lists each one with its status and reason.
    await runtimeFor(ctx).ready()
    return appInfo(ctx)
  },
  format(info) {
    const inf = info.inference
    const lines = [
      `${info.name} ${info.version}`,
      `machine      ${info.platform} ${info.arch}, ${info.cpus} × ${info.cpuModel}, ${info.memoryGiB} GiB`,
      `node         ${info.versions.node}${info.versions.electron ? `, electron ${info.versions.electron}` : ''}`,
      `data folder  ${info.dataDir}`,
      `resources    ${info.resourcesDir}`,
      `inference    ${inf.loaded ? `${inf.active ?? 'none'} (${inf.threads} threads, onnxruntime ${inf.onnxruntimeVersion})` : 'not loaded'}`
    ]
    for (const p of inf.providers) lines.push(`  ${p.provider.padEnd(8)} ${p.status.padEnd(9)} ${p.reason}`)
    return lines.join('\n')
  }
})
