// AquaVM's numeric error codes. Each range starts at a fixed base and a code is base + position
// of the variant in AquaVM's enum, so the numbers below are part of the wire contract with hosts.

/** Preparation errors (1..10): returned as ret_code with the previous data unchanged. */
export const PreparationErrorCode = {
  AirParseError: 1,
  DataDeFailed: 2,
  EnvelopeDeFailed: 3,
  EnvelopeDeFailedWithVersions: 4,
  CallResultsDeFailed: 5,
  UnsupportedInterpreterVersion: 6,
  MalformedKeyPairData: 7,
  CidStoreVerificationError: 8,
  DataSignatureCheckError: 9,
  SizeLimitsExceeded: 10,
} as const;

/** Catchable execution errors (10000..10012): `xor` can catch them; they show in `:error:`. */
export const CatchableErrorCode = {
  LocalServiceError: 10000,
  MatchValuesNotEqual: 10001,
  MismatchValuesEqual: 10002,
  VariableNotFound: 10003,
  IncompatibleJValueType: 10004,
  FoldIteratesOverNonArray: 10005,
  UserError: 10006,
  LambdaApplierError: 10007,
  InvalidErrorObjectError: 10008,
  VariableWasNotInitializedAfterNew: 10009,
  LengthFunctorAppliedToNotArray: 10010,
  NonStringValueInTripletResolution: 10011,
  StreamMapError: 10012,
} as const;

/** Uncatchable execution errors (20000..20020): execution aborts and the previous data is returned. */
export const UncatchableErrorCode = {
  TraceError: 20000,
  GenerationCompactificationError: 20001,
  IntConversionError: 20002,
  FoldStateNotFound: 20003,
  IterableShadowing: 20004,
  MultipleIterableValues: 20005,
  CallResultNotCorrespondToInstr: 20006,
  ShadowingIsNotAllowed: 20007,
  ScalarsStateCorrupted: 20008,
  CidError: 20009,
  ValueForCidNotFound: 20010,
  StreamDontHaveSuchGeneration: 20011,
  MalformedCallServiceFailed: 20012,
  StreamSizeLimitExceeded: 20013,
  StreamMapKeyError: 20014,
  StreamMapError: 20015,
  CanonStreamMapError: 20016,
  InstructionParametersMismatch: 20017,
  SigningError: 20018,
  TetrapletSerializationFailed: 20019,
  CallArgumentsSerializationFailed: 20020,
} as const;

/** Farewell error: call results were supplied that no call consumed. */
export const UNPROCESSED_CALL_RESULT = 30000;

/** ret_code of a call whose result was not valid JSON (AquaVM uses i32::MAX). */
export const INVALID_JSON_RESULT_RET_CODE = 2147483647;

// Codes 40000 and up are this VM's own, outside AquaVM's ranges (1–13 preparation, 10000s
// catchable, 20000s uncatchable, 30000 farewell): limits that keep a host safe from a script.
// Each returns the previous data unchanged, with no call requests and no next peers, as an
// uncatchable error does.

/**
 * Not an AquaVM code: the script nests deeper than this VM runs, either written so (more than
 * MAX_AIR_DEPTH instructions deep; `marine air check` reports the same) or at run time (e.g. a
 * fold over a very long array recursing through `next`) deeper than the JavaScript stack allows.
 */
export const RECURSION_TOO_DEEP = 40000;

/**
 * Not an AquaVM code: the run executed more instructions than `AquaVMOptions.maxSteps`, or ran
 * past its deadline (`AquaVMOptions.timeLimitMs`, and never past the particle's expiry).
 */
export const EXECUTION_BUDGET_EXCEEDED = 40001;

/** The deepest instruction nesting this VM runs (a script nested deeper fails with 40000). */
export const MAX_AIR_DEPTH = 4000;
