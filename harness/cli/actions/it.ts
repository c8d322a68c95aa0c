// What `marine it` does (registered in ../commands/it.ts).
import { interfaceOf, interfacesOf, renderInterfaceText } from '../../../marine-host/index.js';
import { printJson } from '../json-output.js';

/** `marine it`: the interface of a module, a service's facade, one of its modules, or all. */
export async function itAction(
  target: string,
  options: { modulesDir?: string; json?: boolean; module?: string; all?: boolean },
): Promise<void> {
  if (options.all) {
    const all = await interfacesOf(target, options.modulesDir);
    if (options.json) printJson(Object.fromEntries(all.map((m) => [m.name, m.interface])));
    else
      process.stdout.write(
        all.map((m) => `== ${m.name}\n${renderInterfaceText(m.interface)}`).join('\n'),
      );
    return;
  }
  const { interface: iface } = await interfaceOf(target, options.modulesDir, options.module);
  if (options.json) printJson(iface);
  else process.stdout.write(renderInterfaceText(iface));
}
