// The CLI program builds: every command is registered with a description and a help text that
// renders, and the `marine` binary starts and lists them.
import t from 'tap';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { buildProgram } from '../program.js';

const expected = ['air', 'aqua', 'build', 'call', 'it', 'repl', 'test', 'validate'];

t.test('the CLI program builds with every command and its help', async (t) => {
  const program = buildProgram();
  t.equal(program.name(), 'marine');
  const names = program.commands.map((c) => c.name());
  for (const name of expected) t.ok(names.includes(name), `command ${name} is registered`);
  for (const command of program.commands) {
    t.not(command.description(), '', `${command.name()} has a description`);
    t.match(command.helpInformation(), new RegExp(`^Usage: marine ${command.name()}\\b`));
  }
});

t.test('call and validate --help say what the sandbox grants and never grants', async (t) => {
  for (const name of ['call', 'validate']) {
    const out: string[] = [];
    const command = buildProgram().commands.find((c) => c.name() === name);
    if (!command) throw new Error(`no command ${name}`);
    command.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
    command.outputHelp();
    const help = out.join('').replace(/\s+/g, ' ');
    t.match(help, /no environment variables but those its config lists/, `${name}: env`);
    t.match(help, /no files or directories but its config's mapped dirs \(no other preopens\)/);
    t.match(help, /no network at all/);
    t.match(help, /starts no process except the mounted binaries its config declares/);
    t.match(help, /stdout and stderr into the service log/);
    t.match(help, /Nothing else is granted/);
  }
});

t.test('bin/marine.js starts and lists the commands', async (t) => {
  const r = await execa('node', ['bin/marine.js', '--help'], {
    cwd: resolve(import.meta.dirname, '../../..'),
    reject: false,
  });
  t.equal(r.exitCode, 0);
  for (const name of expected) t.match(r.stdout, new RegExp(`^  ${name}\\b`, 'm'));
});
