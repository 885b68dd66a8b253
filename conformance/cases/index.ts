// Every case, in report order.
import { Case } from '../lib/context';
import { cases as namespaces } from './namespaces';

export const allCases: Case[] = [...namespaces];
