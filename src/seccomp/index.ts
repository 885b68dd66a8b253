// Seccomp for the runtime. The CLI compiles (compile.ts, with libseccomp); the container's init
// imports install.ts directly, which needs only koffi and libc. libseccomp is loaded lazily, so
// importing this index does not load it either.
export { compileSeccomp, actionValue, type CompiledSeccomp } from './compile';
export { installSeccomp, kernelSupportsFilterFlags, SeccompError } from './install';
export { seccompFeatures, libseccompVersion, LIBSECCOMP_VERSION_ANNOTATION, type SeccompFeatures } from './features';
