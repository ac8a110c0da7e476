/** The TCP proxy: config file, one-line form, the Proxy class, health checks. See docs/proxy.md. */
export { loadProxyConfig, parseProxyConfig } from './config.js';
export { proxyConfigFromOptions, ONE_LINE_NAME } from './configFromOptions.js';
export type { ProxyOptions } from './configFromOptions.js';
export { BUILTIN_DEFAULTS } from './configSchema.js';
export type {
  BalanceAlgorithm,
  HealthCheckConfig,
  ProxyBackendConfig,
  ProxyConfig,
  ProxyFrontendConfig,
  ProxyGlobalConfig,
  ProxyServerConfig,
} from './configSchema.js';
export { Proxy, nativeEngineFactory } from './Proxy.js';
export type { BackendStats, EngineFactory, ProxyAddress, ProxyEvents, ProxyStartOptions, ProxyStats, ServerStatsWithHealth } from './Proxy.js';
export { HealthChecker, effectiveEnabled, effectiveState, tcpProbe } from './health.js';
export type { AdminState, CheckState, EffectiveState, HealthCheckerOptions, HealthTransition, InjectedHealth, Probe, ProbeResult, ServerHealth } from './health.js';
export type { ServerStateImport, ServerStateRecord } from './serverState.js';
export { ApiServer, API_DEFAULTS } from './api/server.js';
export type { ApiServerOptions } from './api/server.js';
export { ApiClient, apiRequest } from './api/client.js';
export type { ApiReply } from './api/client.js';
export { API_COMMANDS, runApiLine } from './api/commands.js';
export type { ApiCommandRow, ApiLevel } from './api/commands.js';
export { proxyTarget } from './api/target.js';
export type { ApiTarget, ProxyInfo, ReloadResult } from './api/target.js';
export { runProxy } from './foreground.js';
export type { RunProxyOptions } from './foreground.js';
export { formatAddress, parseAddress } from './address.js';
