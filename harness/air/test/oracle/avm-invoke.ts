// The reference AquaVM behind our VM's invoke contract, so the same loop can drive both in
// differential tests and benches. Results travel to the reference as JSON text, failures too
// (as js-client and Nox send them), which is what our VM makes of them as well.
import type {
  AquaCallRequest,
  AquaCallResult,
  AquaInvokeOutcome,
  AquaRunParameters,
} from '../../vm.js';
import type { SecurityTetraplet } from '../../data/tetraplet.js';
import { loadReferenceAvm, type ReferenceAvm } from './avm-oracle.js';

/** The reference VM with our invoke signature (asynchronous). */
export class ReferenceRunner {
  private constructor(private readonly avm: ReferenceAvm) {}

  /** Loads a fresh reference instance. */
  static async load(): Promise<ReferenceRunner> {
    return new ReferenceRunner(await loadReferenceAvm());
  }

  /** Bytes of Wasm memory the reference uses now. */
  memoryBytes(): number {
    return this.avm.memoryBytes();
  }

  /** Runs the reference invoke. */
  async invoke(
    air: string,
    prev: Uint8Array,
    current: Uint8Array,
    params: AquaRunParameters,
    results: ReadonlyMap<number, AquaCallResult>,
  ): Promise<AquaInvokeOutcome> {
    const callResults = [...results].map(
      ([id, r]) =>
        [
          id,
          {
            retCode: r.retCode,
            result: JSON.stringify(r.result) ?? 'null',
          },
        ] as [number, { retCode: number; result: string }],
    );
    const out = await this.avm.invoke({
      air,
      prevData: prev,
      data: current,
      params: {
        initPeerId: params.initPeerId,
        currentPeerId: params.currentPeerId,
        timestamp: params.timestamp,
        ttl: params.ttl,
        particleId: params.particleId,
        secretKeyBytes: params.secretKey,
      },
      callResults: callResults as never,
    });
    const callRequests = new Map<number, AquaCallRequest>();
    for (const [id, req] of out.callRequests) {
      callRequests.set(Number(id), {
        serviceId: req.serviceId,
        functionName: req.functionName,
        arguments: req.arguments as unknown[],
        tetraplets: req.tetraplets as unknown as SecurityTetraplet[][],
      });
    }
    return {
      retCode: out.retCode,
      errorMessage: out.errorMessage,
      data: out.data,
      nextPeerPks: [...out.nextPeerPks],
      callRequests,
    };
  }
}
