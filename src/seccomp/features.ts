// The "linux.seccomp" part of `runc-ts features` (runtime-spec features-linux.md), in the shape
// runc 1.2 prints: {enabled, actions, operators, archs, knownFlags, supportedFlags}.
import { ACTIONS, ARCHES, FILTER_FLAG, FLAGS, OPERATORS } from './constants';
import { kernelSupportsFilterFlags } from './install';
import { libseccomp } from './libseccomp';

export interface SeccompFeatures {
  enabled: boolean;
  actions?: string[];
  operators?: string[];
  archs?: string[];
  knownFlags?: string[];
  supportedFlags?: string[];
}

/** The annotation runc puts in `features` output for the libseccomp version. */
export const LIBSECCOMP_VERSION_ANNOTATION = 'io.github.seccomp.libseccomp.version';

export function seccompFeatures(): SeccompFeatures {
  let lib;
  try {
    lib = libseccomp();
  } catch {
    return { enabled: false };
  }
  const knownFlags = Object.keys(FLAGS);
  return {
    enabled: true,
    actions: Object.keys(ACTIONS).sort(),
    operators: Object.keys(OPERATORS).sort(),
    // Only architectures this libseccomp can build filters for (2.5 lacks loongarch64).
    archs: Object.keys(ARCHES).filter((a) => lib.archResolveName(ARCHES[a].scmp) !== 0).sort(),
    knownFlags,
    supportedFlags: knownFlags.filter((f) => {
      // WAIT_KILLABLE_RECV is only accepted together with NEW_LISTENER.
      const extra = FLAGS[f] === FILTER_FLAG.WAIT_KILLABLE_RECV ? FILTER_FLAG.NEW_LISTENER : 0;
      return kernelSupportsFilterFlags(FLAGS[f] | extra);
    }),
  };
}

/** "2.5.4", or undefined without libseccomp. */
export function libseccompVersion(): string | undefined {
  try {
    const v = libseccomp().version();
    return `${v.major}.${v.minor}.${v.micro}`;
  } catch {
    return undefined;
  }
}
