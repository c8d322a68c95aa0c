// What `marine aqua` and `marine aqua compile` do (registered in ../commands/aqua.ts).
import { interfaceOf, renderAqua } from '../../../marine-host/index.js';
import { writeClientCode } from '../../aqua/index.js';

/** The options of `marine aqua compile`. */
export interface AquaCompileOptions {
  ts?: boolean;
  js?: boolean;
  out: string;
  import?: string[];
  clientImport: string;
}

/** `marine aqua`: Aqua data/service declarations for a module or a service's facade. */
export async function aquaAction(
  target: string,
  options: { serviceId?: string; serviceName?: string; modulesDir?: string },
): Promise<void> {
  const { name, interface: iface } = await interfaceOf(target, options.modulesDir);
  process.stdout.write(renderAqua(iface, options.serviceName ?? name, options.serviceId));
}

/** `marine aqua compile`: client code for marine-ts/client, one path printed per file written. */
export async function aquaCompileAction(input: string, options: AquaCompileOptions): Promise<void> {
  if (options.ts === true && options.js === true) {
    throw new Error('choose one of --ts and --js, found both');
  }
  const written = await writeClientCode(input, options.out, {
    target: options.js === true ? 'js' : 'ts',
    clientImport: options.clientImport,
    ...(options.import === undefined ? {} : { imports: options.import }),
  });
  for (const path of written) process.stdout.write(`${path}\n`);
}
