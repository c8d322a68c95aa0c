import type { Command } from 'commander';
import { register as registerAir } from './air.js';
import { register as registerBuild } from './build.js';

/** A subcommand module adds its commands to the program. */
export type RegisterCommand = (program: Command) => void;

// One entry per command module; each module owns its own file in this folder.
export const commands: RegisterCommand[] = [registerAir, registerBuild];
