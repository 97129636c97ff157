export { runPlugin, pluginMain, PLUGINS, PLUGIN_TYPES } from './registry.js';
export { runSkel, defaultHostDir, type CniPlugin, type CniEnv, type CniCommand, type PluginContext, type PluginOutput } from './skel.js';
export { CniError, ERR } from './errors.js';
export { SUPPORTED_VERSIONS } from './version.js';
export { resultForVersion, parseResult, type CniResult } from './result.js';
export { LAUNCHER_MARK, findPlugin } from './delegate.js';
