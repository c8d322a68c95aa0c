// AquaVM's parse error text, split by part: `text` joins them; `grammar` replays AquaVM's LR
// parser with lalrpop's error recovery; `reference-validator` replays its variable validator;
// `words` holds the wording of its lexer and validator errors; `lambda` its lens parser's;
// `codespan` lays the diagnostics out as codespan-reporting does.
export {
  formatAirErrorsAsAquaVM,
  describeAirErrorsAsAquaVM,
  type AquaVMTextResult,
} from './text.js';
