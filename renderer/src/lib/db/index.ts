import { LightboxDB } from './database'

/** The renderer's one database connection. */
export const db = new LightboxDB()
