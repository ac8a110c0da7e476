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
export { HealthChecker, effectiveEnabled, tcpProbe } from './health.js';
export type { CheckState, HealthCheckerOptions, HealthTransition, Probe, ProbeResult, ServerHealth } from './health.js';
export { runProxy } from './foreground.js';
export type { RunProxyOptions } from './foreground.js';
export { formatAddress, parseAddress } from './address.js';
