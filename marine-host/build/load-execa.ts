// execa, loaded when a command first starts a process: importing it costs a CLI start about 0.4 s,
// and most commands (call, it, air run, node) never spawn anything.
let execaModule: Promise<typeof import('execa')> | undefined;

/** The execa module, imported on first use and shared after. */
export function loadExeca(): Promise<typeof import('execa')> {
  execaModule ??= import('execa');
  return execaModule;
}
