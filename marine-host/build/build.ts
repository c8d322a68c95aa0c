// `marine build`: cargo → interface section → WIT + rewritten core module → component → bindings,
// Aqua and TypeScript declarations, skipping modules whose core module has not changed.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAqua } from './aqua.js';
import { cargoBuild, resolveProject } from './cargo.js';
import { componentize, transpileComponent } from './componentize.js';
import { BuildError } from './errors.js';
import { INTERFACE_SECTION, readInterface } from './interface.js';
import { rewriteModule } from './rewrite.js';
import { loadToolchain, type Toolchain } from './toolchain.js';
import { generateTsTypes } from './ts-types.js';
import type { ModuleInterface } from './types.js';
import { customSections, parseModule } from './wasm/module.js';
import { generateWit, witWorld } from './wit.js';
import { kebabName } from './names.js';
import {
  appendCustomSection,
  NAMES_SECTION,
  WIT_SECTION,
  type ComponentNames,
} from '../module/names-section.js';

/** Bumped whenever generated output changes for the same input, so cached outputs are redone. */
export const PIPELINE_VERSION = 'marine-ts-build/1';

const MANIFEST = '.marine-build.json';

let fingerprint: Promise<string> | undefined;

/**
 * Identifies the pipeline that produced cached outputs: the version above, the sources of this
 * directory (so an edited generator invalidates the cache without a manual bump) and jco's version.
 */
function pipelineFingerprint(): Promise<string> {
  fingerprint ??= (async () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const hash = createHash('sha256').update(PIPELINE_VERSION);
    const files = (await readdir(dir, { recursive: true }))
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
    for (const file of files) hash.update(file).update(await readFile(join(dir, file)));
    const require = createRequire(import.meta.url);
    const jco = join(
      dirname(require.resolve('@bytecodealliance/jco-transpile')),
      '..',
      'package.json',
    );
    hash.update(await readFile(jco));
    return `${PIPELINE_VERSION}+${hash.digest('hex').slice(0, 16)}`;
  })();
  return fingerprint;
}

/** Options of {@link buildServices}. */
export interface BuildOptions {
  /** A crate or workspace directory (or its Cargo.toml), or a directory inside a workspace; default: cwd. */
  readonly path?: string;
  /** Build with cargo's release profile. */
  readonly release?: boolean;
  /** Output directory; default `<workspace root>/artifacts`. */
  readonly outDir?: string;
  /** jco instantiation mode of the bindings; default `async`. */
  readonly instantiation?: 'async' | 'sync';
  /** Redo every module even when its core module is unchanged. */
  readonly force?: boolean;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
  /** Use this toolchain instead of the recorded one. */
  readonly toolchain?: Toolchain;
  /** Extra arguments for `cargo build`. */
  readonly cargoArgs?: readonly string[];
}

/** One service module that was built. */
export interface BuiltModule {
  readonly name: string;
  /** The core module cargo produced. */
  readonly core: string;
  readonly component: string;
  readonly wit: string;
  readonly aqua: string;
  readonly types: string;
  /** Directory of the jco bindings; the entry is `<name>.js` in it. */
  readonly bindings: string;
  /** True when the outputs were up to date and nothing was regenerated. */
  readonly cached: boolean;
  /** Exported functions (Rust names). */
  readonly functions: readonly string[];
  /** Imported modules other than WASI (Rust names), e.g. `marine_host_api`, `local_storage`. */
  readonly imports: readonly string[];
  readonly notes: readonly string[];
}

/** A .wasm file that is not a service module. */
export interface SkippedArtifact {
  readonly path: string;
  readonly reason: string;
}

/** What {@link buildServices} did. */
export interface BuildResult {
  readonly workspaceRoot: string;
  readonly outDir: string;
  readonly modules: readonly BuiltModule[];
  readonly skipped: readonly SkippedArtifact[];
}

interface ManifestEntry {
  readonly coreHash: string;
  readonly instantiation: string;
  readonly functions: readonly string[];
  readonly imports: readonly string[];
  readonly notes: readonly string[];
}

interface Manifest {
  pipeline: string;
  modules: Record<string, ManifestEntry>;
}

async function readManifest(outDir: string): Promise<Manifest> {
  const pipeline = await pipelineFingerprint();
  try {
    const parsed = JSON.parse(await readFile(join(outDir, MANIFEST), 'utf8')) as Partial<Manifest>;
    if (
      parsed.pipeline === pipeline &&
      typeof parsed.modules === 'object' &&
      parsed.modules !== null
    ) {
      return { pipeline, modules: parsed.modules };
    }
  } catch {
    // No manifest or an unreadable one: everything is rebuilt.
  }
  return { pipeline, modules: {} };
}

function outputs(
  outDir: string,
  name: string,
): Omit<BuiltModule, 'name' | 'core' | 'cached' | 'functions' | 'imports' | 'notes'> {
  return {
    component: join(outDir, `${name}.wasm`),
    wit: join(outDir, `${name}.wit`),
    aqua: join(outDir, `${name}.aqua`),
    types: join(outDir, `${name}.d.ts`),
    bindings: join(outDir, name),
  };
}

/** Everything generated from one core module, before it is written out. */
export interface ModuleOutputs {
  readonly interface: ModuleInterface;
  readonly wit: string;
  readonly aqua: string;
  readonly types: string;
  readonly component: Uint8Array;
  readonly bindings: Record<string, Uint8Array>;
  readonly imports: readonly string[];
  readonly notes: readonly string[];
}

/** Runs the pipeline on one core module held in memory; null when it has no interface section. */
export async function componentizeModule(
  core: Uint8Array,
  name: string,
  options: { readonly instantiation?: 'async' | 'sync' } = {},
): Promise<ModuleOutputs | null> {
  const sections = customSections(parseModule(core, `module ${name}`), INTERFACE_SECTION);
  if (sections.length === 0) return null;
  const joined = new Uint8Array(sections.reduce((n, s) => n + s.length + 1, 0));
  let offset = 0;
  for (const s of sections) {
    joined.set(s, offset);
    joined[offset + s.length] = 0x0a;
    offset += s.length + 1;
  }
  const iface = readInterface(joined, name);
  const rewritten = rewriteModule(core, iface, name);
  const wit = generateWit(name, iface, rewritten.usedImports);
  // The component describes itself: hosts read its WIT and the Rust names from these sections.
  const component = appendCustomSection(
    appendCustomSection(
      await componentize(rewritten.binary, wit, witWorld(name), name),
      WIT_SECTION,
      new TextEncoder().encode(wit),
    ),
    NAMES_SECTION,
    new TextEncoder().encode(JSON.stringify(componentNames(iface, name))),
  );
  const bindings = await transpileComponent(component, name, options.instantiation ?? 'async');
  return {
    interface: iface,
    wit,
    aqua: generateAqua(name, iface),
    types: generateTsTypes(name, iface, rewritten.usedImports),
    component,
    bindings,
    imports: [...new Set(rewritten.usedImports.map((i) => i.module))],
    notes: rewritten.notes,
  };
}

/** The Rust names of a module's records and exports, keyed by the WIT labels `wit.ts` gives them. */
export function componentNames(iface: ModuleInterface, moduleName: string): ComponentNames {
  const where = `module ${moduleName}`;
  const labels = (names: readonly string[], what: string): Record<string, string> =>
    Object.fromEntries(names.map((n) => [kebabName(n, `${what} ${n}`), n]));
  return {
    records: Object.fromEntries(
      [...iface.records.values()].map((r) => [
        kebabName(r.name, `${where}: record ${r.name}`),
        {
          name: r.name,
          fields: labels(
            r.fields.map((f) => f.name),
            `${where}: record ${r.name}, field`,
          ),
        },
      ]),
    ),
    functions: Object.fromEntries(
      iface.functions.map((f) => [
        kebabName(f.name, `${where}: fn ${f.name}`),
        {
          name: f.name,
          params: labels(
            f.params.map((p) => p.name),
            `${where}: fn ${f.name}, parameter`,
          ),
        },
      ]),
    ),
  };
}

async function writeOutputs(outDir: string, name: string, generated: ModuleOutputs): Promise<void> {
  const paths = outputs(outDir, name);
  // The .wasm is what hosts load: renamed into place whole, so a host loading it meanwhile reads
  // the old module or the new one, never half of one.
  const staging = `${paths.component}.${process.pid}.tmp`;
  await writeFile(staging, generated.component);
  await rename(staging, paths.component);
  await writeFile(paths.wit, generated.wit);
  await writeFile(paths.aqua, generated.aqua);
  await writeFile(paths.types, generated.types);
  await rm(paths.bindings, { recursive: true, force: true });
  for (const [file, bytes] of Object.entries(generated.bindings)) {
    const target = join(paths.bindings, file);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
  // jco emits ES modules; outside an ESM package Node 20 would read them as CommonJS.
  await writeFile(join(paths.bindings, 'package.json'), '{ "type": "module" }\n');
}

/** Builds every service module of the crate or workspace at `options.path`. */
export async function buildServices(options: BuildOptions = {}): Promise<BuildResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const toolchain = options.toolchain ?? (await loadToolchain({ log }));
  const project = await resolveProject(options.path ?? process.cwd(), toolchain);
  const outDir = resolve(options.outDir ?? join(project.workspaceRoot, 'artifacts'));
  log(
    `building crates in ${project.wholeWorkspace ? project.workspaceRoot : dirname(project.manifestPath)} (${toolchain.target}${options.release ? ', release' : ''})…`,
  );
  const artifacts = await cargoBuild(project, toolchain, {
    release: options.release === true,
    ...(options.cargoArgs ? { extraArgs: options.cargoArgs } : {}),
  });
  await mkdir(outDir, { recursive: true });
  const manifest = await readManifest(outDir);
  const instantiation = options.instantiation ?? 'async';
  const modules: BuiltModule[] = [];
  const skipped: SkippedArtifact[] = [];
  const seen = new Map<string, string>();
  for (const artifact of artifacts) {
    const name = basename(artifact.path, '.wasm');
    const other = seen.get(name);
    if (other !== undefined && other !== artifact.path) {
      throw new BuildError(
        `two crates produce a module named ${name}: ${other} and ${artifact.path}; rename one target`,
      );
    }
    seen.set(name, artifact.path);
    const core = new Uint8Array(await readFile(artifact.path));
    const coreHash = createHash('sha256').update(core).digest('hex');
    const paths = outputs(outDir, name);
    const previous = manifest.modules[name];
    const upToDate =
      options.force !== true &&
      previous !== undefined &&
      previous.coreHash === coreHash &&
      previous.instantiation === instantiation &&
      [
        paths.component,
        paths.wit,
        paths.aqua,
        paths.types,
        join(paths.bindings, `${name}.js`),
      ].every((p) => existsSync(p));
    if (upToDate) {
      log(`up to date: ${name}`);
      modules.push({
        name,
        core: artifact.path,
        ...paths,
        cached: true,
        functions: previous.functions,
        imports: previous.imports,
        notes: previous.notes,
      });
      continue;
    }
    log(`componentizing ${name}…`);
    const generated = await componentizeModule(core, name, { instantiation });
    if (generated === null) {
      const reason = `no ${INTERFACE_SECTION} section (not built with the marine-ts SDK)`;
      log(`note: skipping ${artifact.path}: ${reason}`);
      skipped.push({ path: artifact.path, reason });
      continue;
    }
    await writeOutputs(outDir, name, generated);
    for (const note of generated.notes) log(`note: ${name}: ${note}`);
    const functions = generated.interface.functions.map((f) => f.name);
    manifest.modules[name] = {
      coreHash,
      instantiation,
      functions,
      imports: generated.imports,
      notes: generated.notes,
    };
    modules.push({
      name,
      core: artifact.path,
      ...paths,
      cached: false,
      functions,
      imports: generated.imports,
      notes: generated.notes,
    });
  }
  await writeFile(join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  const built = modules.filter((m) => !m.cached).length;
  if (modules.length === 0) {
    log(
      `note: no service modules: cargo produced ${artifacts.length === 0 ? 'no .wasm file (service crates are [[bin]] or cdylib targets)' : 'only .wasm files without #[marine] items'}`,
    );
  }
  log(
    `built ${built} module${built === 1 ? '' : 's'}, ${modules.length - built} up to date → ${outDir}`,
  );
  // cargo reports artifacts in completion order, which varies from run to run.
  modules.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { workspaceRoot: project.workspaceRoot, outDir, modules, skipped };
}
