/** The X GIC package's entry: the backend and its guest driver, as worker threads load them by module. */
export { XGIC_CPU_BASE, XGIC_DIST_BASE, attachXgic, createXgic, createXgicBackend, type XgicBackendOptions } from './xgic.js';
export { xgicGuest } from './xgic-guest.js';
