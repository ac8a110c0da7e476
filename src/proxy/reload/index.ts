/** The multi-process proxy: a master, its worker processes, and reloads. See docs/proxy.md, "Reloads". */
export { Master, carryOver } from './Master.js';
export type { MasterEvents, MasterOptions, ReloadOutcome, WorkerExit } from './Master.js';
export { runMaster, reloadLine, RELOAD_SIGNAL } from './foreground.js';
export type { RunMasterOptions } from './foreground.js';
export { masterTarget } from './remoteTarget.js';
export { requestReload } from './client.js';
export type { ReloadReply } from './client.js';
