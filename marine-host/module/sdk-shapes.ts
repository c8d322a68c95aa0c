// The call parameters each marine-rs-sdk release's modules read. The host keeps one shape (0.14:
// `particle` nested, tetraplet `lens`); modules built with the SDK's 0.10–0.13 versions declare
// older records (flat `init_peer_id`/`particle_id`, tetraplet `json_path` or `lambda`). Every
// alias is added, and a module's record takes the fields it declares (undeclared ones are
// ignored), so each shape gets its fields from the same values.

/** The host's call parameters as a JSON object, with every older SDK release's field names added. */
export function withLegacyCallParameterFields(callParameters: unknown): unknown {
  if (typeof callParameters !== 'object' || callParameters === null) return callParameters;
  const cp = callParameters as Record<string, unknown>;
  const particle = (
    typeof cp['particle'] === 'object' && cp['particle'] !== null ? cp['particle'] : {}
  ) as Record<string, unknown>;
  const tetraplets = Array.isArray(cp['tetraplets'])
    ? (cp['tetraplets'] as unknown[]).map((list) =>
        Array.isArray(list)
          ? list.map((t: unknown) =>
              typeof t === 'object' && t !== null && 'lens' in t
                ? { json_path: t.lens, lambda: t.lens, ...t }
                : t,
            )
          : list,
      )
    : cp['tetraplets'];
  return {
    init_peer_id: particle['init_peer_id'],
    particle_id: particle['id'],
    ...cp,
    tetraplets,
  };
}
