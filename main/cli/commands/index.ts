import type { Command } from '../command'
import { infoCommand } from './info'
import { versionCommand } from './version'

/** Every `lightbox <command>`; later features add theirs here. */
export const commands: Command[] = [versionCommand, infoCommand] as Command[]
