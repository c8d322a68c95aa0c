import type { Command } from 'commander';
import { register as registerAir } from './air.js';
import { register as registerBlueprint } from './blueprint.js';
import { register as registerBuild } from './build.js';
import { register as registerAqua } from './aqua.js';
import { register as registerCall } from './call.js';
import { register as registerDeploy } from './deploy.js';
import { register as registerIt } from './it.js';
import { register as registerRepl } from './repl.js';
import { register as registerServe } from './serve.js';
import { register as registerValidate } from './validate.js';
import { register as registerTest } from './test.js';
import { register as registerKey } from './key.js';
import { register as registerNode } from './node.js';
import { register as registerRun } from './run.js';
import { register as registerLocal } from './local.js';

/** A subcommand module adds its commands to the program. */
export type RegisterCommand = (program: Command) => void;

// One entry per command module; each module owns its own file in this folder. They register
// options, arguments and help only: each command's implementation is in ../actions/, imported by
// its action when it runs, so that `marine --help` or `marine air check` loads only what it uses
// (harness/cli/test/lazy-load.test.ts checks it).
export const commands: RegisterCommand[] = [
  registerAir,
  registerBlueprint,
  registerBuild,
  registerAqua,
  registerCall,
  registerDeploy,
  registerIt,
  registerRepl,
  registerServe,
  registerValidate,
  registerTest,
  registerKey,
  registerNode,
  registerRun,
  registerLocal,
];
