import { storeService } from "./StoreService.js"

/** Where a profile's key lives, as status and list report it (never the secret). */
export const keyLocation = (path: string, section: string, stored: string | undefined) =>
  stored === undefined
    ? { store: "file" as const, file: path, section }
    : { store: "keyring" as const, service: storeService, account: stored, file: path, section }

/** The same, in words. */
export const keyLocationText = (path: string, section: string, stored: string | undefined) =>
  stored === undefined
    ? `[${section}] of ${path}`
    : `the OS secret store (service ${storeService}, account ${stored}), which [${section}] of ${path} points to`
