// The greeting service tested as a user's project tests it: `marine test services-rs/examples/greeting`
// builds the module, then runs this file (tap and marine-ts/testing come from the toolkit).
import t from 'tap';
import { loadTestService } from 'marine-ts/testing';
import type { GreetingService } from '../../../artifacts/greeting.js';

// Asynchronous checks go in subtests: tap waits for each one, however long the service takes.
t.test('greeting', async (t) => {
  const svc = await loadTestService<GreetingService>('../Config.toml', { base: import.meta.url });
  t.teardown(() => svc.$close());
  t.equal(await svc.greeting('Marine'), 'Hi, Marine');
  t.equal(await svc.greeting_cp({ particle: { init_peer_id: 'peer-1' } }, 'cp'), 'Hi, cp');
});
