export { EmulatedHost, KPATH_CNI_HOST_ENV, ROOT_NETNS } from './host.js';
export { extrasOf, HostStateError, type HostSession, type Inet6Address, type NetnsExtras } from './state.js';
export { addNetns, deleteLink, deleteNetns, linkDown, linkUp, nextIfindex, randomMac } from './ops.js';
export { withFileLock, LockTimeoutError } from './lock.js';
