// The whole avm.wasm conformance run (it-avm-conformance.test.ts) with our host running avm.wasm
// inline (ServiceOptions.execution 'inline'): metered by module/meter.ts, in this thread. Every
// raw outcome must still equal marine-js's, so the metering rewrite changes nothing a real
// Marine IT module computes.
process.env['MARINE_IT_AVM_EXECUTION'] = 'inline';
await import('./it-avm-conformance.test.js');
