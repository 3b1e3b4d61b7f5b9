import { defineCommand } from '../command'

export const versionCommand = defineCommand({
  name: 'version',
  summary: 'Print the Lightbox version',
  usage: '[--json]',
  async run(_cmd, ctx) {
    return { name: ctx.appName, version: ctx.appVersion }
  },
  format: (r) => `${r.name} ${r.version}`
})
