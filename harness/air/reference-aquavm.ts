// The reference AquaVM (@fluencelabs/avm, run by @fluencelabs/marine-js) behind our VM's invoke
// contract, so the same tests and network loop can run either VM: the differential and
// conformance tests, the VM benchmark and `marine air run --vm reference` use it. Needs the
// optional @fluencelabs packages, so the `marine-ts/air` entry does not export it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { MarineService } from '@fluencelabs/marine-js/MarineService';
import { deserializeAvmResult, serializeAvmArgs } from '@fluencelabs/avm';
import type {
  AquaCallRequest,
  AquaCallResult,
  AquaInvokeOutcome,
  AquaRunParameters,
} from './vm.js';

/** The reference VM, with our VM's invoke signature. */
export interface ReferenceAquaVM {
  invoke(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: AquaRunParameters,
    callResults: ReadonlyMap<number, AquaCallResult>,
  ): AquaInvokeOutcome;
}

const require = createRequire(import.meta.url);

type ControlModule = ConstructorParameters<typeof MarineService>[0];

let compiled: Promise<{ control: ControlModule; avm: Uint8Array }> | undefined;

function loadWasm(): Promise<{ control: ControlModule; avm: Uint8Array }> {
  compiled ??= (async () => {
    const control: ControlModule = await (
      globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<ControlModule> } }
    ).WebAssembly.compile(await readFile(require.resolve('@fluencelabs/marine-js/marine-js.wasm')));
    const avm = new Uint8Array(await readFile(require.resolve('@fluencelabs/avm/dist/avm.wasm')));
    return { control, avm };
  })();
  return compiled;
}

/** A reference AquaVM instance (one per peer, as on a real network). */
export async function createReferenceAquaVM(): Promise<ReferenceAquaVM> {
  const { control, avm } = await loadWasm();
  const service = new MarineService(
    control,
    'avm',
    () => {},
    {
      modules_config: [
        {
          import_name: 'avm',
          config: {
            logger_enabled: true,
            logging_mask: 0,
            wasi: { envs: { WASM_LOG: 'off' }, preopened_files: new Set(), mapped_dirs: new Map() },
          },
        },
      ],
    },
    { avm },
  );
  await service.init();
  return {
    invoke(air, prevData, currentData, params, callResults) {
      const args = serializeAvmArgs(
        {
          initPeerId: params.initPeerId,
          currentPeerId: params.currentPeerId,
          keyFormat: 0,
          secretKeyBytes: params.secretKey,
          timestamp: params.timestamp,
          ttl: params.ttl,
          particleId: params.particleId,
        },
        air,
        prevData,
        currentData,
        [...callResults].map(([id, r]: [number, AquaCallResult]) => [
          id,
          { retCode: r.retCode, result: JSON.stringify(r.result) ?? 'null' },
        ]),
      );
      // The helper shipped with avm 0.62 passes a number where its Wasm expects a boolean.
      (args[3] as { hard_limit_enabled: unknown }).hard_limit_enabled = false;
      const raw = service.call('invoke', args, {
        particle: {
          id: '',
          init_peer_id: '',
          timestamp: 0,
          ttl: 0,
          script: '',
          signature: [],
          token: '',
        },
        service_id: '',
        service_creator_peer_id: '',
        host_id: '',
        worker_id: '',
        tetraplets: [],
      } as never);
      const result = deserializeAvmResult(raw);
      const callRequests = new Map<number, AquaCallRequest>(
        result.callRequests.map(([id, req]) => [
          id,
          {
            serviceId: req.serviceId,
            functionName: req.functionName,
            arguments: req.arguments as unknown[],
            tetraplets: req.tetraplets as AquaCallRequest['tetraplets'],
          },
        ]),
      );
      return {
        retCode: result.retCode,
        errorMessage: result.errorMessage,
        // deserializeAvmResult hands back a plain array despite its Uint8Array type.
        data: Uint8Array.from(result.data),
        nextPeerPks: [...result.nextPeerPks],
        callRequests,
      };
    },
  };
}
