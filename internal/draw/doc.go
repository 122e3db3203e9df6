// Package draw implements dual-random-draw/v1, the public draw algorithm of draw-spec.md: it
// picks which market entities are inspected (抽取检查对象) and which inspectors go to each
// (选派执法检查人员), so that anyone can check the outcome from what the bureau publishes, in any
// language and without our database, while risk classes, exclusion reasons and conflicts of
// interest stay confidential. The package is pure computation: no database, no clock, no
// randomness of its own. The shared test vectors (shared/draw-vectors) are reproduced exactly.
//
// # Vocabulary
//
//   - frame: the roster snapshot drawn from (名录库), one FrameRow per entity: its id
//     (统一社会信用代码), its stratum (risk class A–D, or F 重点; confidential) and its unit.
//   - exclusions: entities of the frame that may not be drawn this time, each with a
//     confidential reason (annual_cap, recently_inspected, …).
//   - inspectors: who may be sent, with bureau, unit and qualifications. Public.
//   - conflicts: inspector–entity pairs that must not meet (回避). Confidential.
//   - params: per stratum a ratio "p/q" and a minimum; per bureau a team size and required
//     qualifications; cross_unit (所所交叉); the cap on tasks per inspector. Public.
//   - nonce: a secret random value of the server, committed at freeze and revealed after the
//     ceremony, so that the bureau cannot choose the seed alone.
//   - row_key: a secret random key from which each confidential row's salt is derived. Never
//     published; auditors receive it in the full manifest.
//   - ceremony: the string entered before witnesses at the draw (dice, a beacon value), so
//     that no one can know the seed before the ceremony.
//   - commitment: what is published at freeze: the public lists (confidential rows only as
//     salted commitments), the five input hashes and the nonce commitment. See Commit.
//   - seed: the hash of the nonce, the ceremony and the input hashes.
//   - ticket: a hash of the seed and an entity id (or an entity and an inspector id). Lowest
//     tickets are taken first; a ticket never depends on a position in a list.
//   - threshold: per stratum, the ticket of the last entity taken: an eligible entity of the
//     stratum is selected exactly when its ticket is at most the threshold.
//   - manifest: the record of a draw. The full manifest (auditors: leaders, discipline
//     inspection, the joint office, a court) holds the inputs, row key included, and lets them
//     recompute everything. The public manifest (everyone) replaces confidential rows by their
//     commitments and drops the row key.
//   - opening: one entity's own frame row (and exclusion row) with their salts, so that it can
//     check against the public manifest that its row was committed before the seed and that it
//     was selected exactly when it should have been.
//
// # Use
//
// A draw is made in three steps that are never undone:
//
//  1. Freeze: fix the Input without its Ceremony (nonce and row key from crypto/rand, 32 bytes
//     each as lowercase hex) and publish Commit(in), encoded with CanonicalJSON.
//  2. Ceremony: set in.Ceremony to the witnessed string, call Run(in), check
//     commitment.Matches(public) against what was frozen, and store the full manifest and
//     manifest.Public(), both encoded with CanonicalJSON. Run either returns a whole manifest or
//     an *Error; there is no partial draw.
//  3. Publication: the public manifest for everyone, the full manifest for auditors, and
//     OpeningFor(in, entity) for an entity that asks.
//
// Verify checks any of these documents, or a test vector, and names the first difference;
// CheckOpening checks an opening against a public manifest.
//
// # Cost
//
// Run hashes every frame row a few times (salt, commitment, ticket) and, for every task, one
// ticket per candidate inspector: the spec ranks all candidates by a hash, so the lowest cannot be
// known without computing them all. With 40,000 tasks and 2,000 candidates that is 80 million
// SHA-256 computations, nearly all of a big draw's time (see BENCHMARKS.md). The work is spread
// over the CPUs; the result never depends on their number.
package draw
