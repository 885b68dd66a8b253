// Every case, in report order.
import { Case } from '../lib/context';
import { cases as badconfig } from './badconfig';
import { cases as cgroups } from './cgroups';
import { cases as devices } from './devices';
import { cases as hooks } from './hooks';
import { cases as lifecycle } from './lifecycle';
import { cases as mounts } from './mounts';
import { cases as namespaces } from './namespaces';
import { cases as processCases } from './process';
import { cases as seccomp } from './seccomp';
import { cases as terminal } from './terminal';

export const allCases: Case[] = [...lifecycle, ...namespaces, ...processCases, ...mounts, ...devices, ...cgroups, ...hooks, ...terminal, ...seccomp, ...badconfig];
