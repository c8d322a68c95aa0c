import t from 'tap';
import { buildProgram } from '../cli/program.js';

t.test('the CLI program builds', async (t) => {
  t.equal(buildProgram().name(), 'marine');
});
