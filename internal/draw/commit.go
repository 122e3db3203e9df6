package draw

import (
	"crypto/sha256"
	"runtime"
	"slices"
	"sync/atomic"
)

// Forms of the documents this package reads and writes ("form" in their JSON).
const (
	FormFull       = "full"
	FormPublic     = "public"
	FormCommitment = "commitment"
)

// Commitment is what the bureau publishes when a draw is frozen, before anyone can know the seed:
// the public lists (confidential rows only as salted commitments), the params, the five input
// hashes and the nonce commitment. The nonce and the row key stay secret.
type Commitment struct {
	Algorithm string      `json:"algorithm"`
	Form      string      `json:"form"` // FormCommitment
	Inputs    PublicLists `json:"inputs"`
	Hashes
}

// PublicLists are the inputs as anyone may see them.
type PublicLists struct {
	Frame      []FrameCommitment `json:"frame"`      // sorted by id
	Exclusions []RowCommitment   `json:"exclusions"` // sorted by commitment
	Inspectors []Inspector       `json:"inspectors"` // sorted by id, as given
	Conflicts  []RowCommitment   `json:"conflicts"`  // sorted by commitment
	Params     Params            `json:"params"`
}

// FrameCommitment is the public form of a frame row: its id and the commitment to the row.
type FrameCommitment struct {
	ID         string `json:"id"`
	Commitment Digest `json:"commitment"`
}

// RowCommitment is the public form of an exclusion or conflict row.
type RowCommitment struct {
	Commitment Digest `json:"commitment"`
}

// Hashes fix the inputs of a draw; the seed is derived from them.
type Hashes struct {
	NonceCommitment  Digest `json:"nonce_commitment"`
	FrameSHA256      Digest `json:"frame_sha256"`
	ExclusionsSHA256 Digest `json:"exclusions_sha256"`
	InspectorsSHA256 Digest `json:"inspectors_sha256"`
	ConflictsSHA256  Digest `json:"conflicts_sha256"`
	ParamsSHA256     Digest `json:"params_sha256"`
}

// Commit computes the commitment to publish when the draw is frozen. It checks in as Run does,
// except for the ceremony, which does not exist yet and is ignored. Run on the same input, with the
// ceremony filled in, yields a manifest whose hashes equal these (Matches checks it).
func Commit(in Input) (*Commitment, error) {
	d, err := prepareToSeal(in, false)
	if err != nil {
		return nil, err
	}
	return d.commit()
}

// Matches reports whether p was drawn from the inputs c committed to: the algorithm and all six
// hashes must be equal. Since the hashes are recomputed from the lists by Verify, equal hashes of
// verified documents mean equal lists.
func (c *Commitment) Matches(p *PublicManifest) error {
	if p.Algorithm != c.Algorithm {
		return mismatch("algorithm", p.Algorithm, c.Algorithm)
	}
	got, want := p.Hashes.named(), c.Hashes.named()
	for i := range want {
		if got[i].value != want[i].value {
			return mismatch(want[i].name, got[i].value, want[i].value)
		}
	}
	return nil
}

// commit seals the draft's rows and hashes its lists. Its only error is an invalid frame row of a
// draft made by prepareToSeal.
func (d *draft) commit() (*Commitment, error) {
	s, err := d.seal()
	if err != nil {
		return nil, err
	}
	return s.commitment(d.in.Frame), nil
}

// sealedDraft is a draft's commitment before its public frame list is put together: the frame
// rows' commitments alone, in the frame's order, beside the commitment without its frame. Run
// keeps this form in the manifest: the list of a million ids and commitments is 48 MB in which
// the collector follows a million pointers at each cycle for as long as the manifest lives, and
// the ids are the frame's already; the commitments alone are 32 MB without a pointer.
type sealedDraft struct {
	withoutFrame Commitment
	frame        []Digest // per row of the sorted frame, its commitment
}

// commitment returns the whole commitment; frame is the sorted frame that was sealed.
func (s *sealedDraft) commitment(frame []FrameRow) *Commitment {
	c := s.withoutFrame
	c.Inputs.Frame = make([]FrameCommitment, len(frame))
	for i, r := range frame {
		c.Inputs.Frame[i] = FrameCommitment{ID: r.ID, Commitment: s.frame[i]}
	}
	return &c
}

// seal is commit without the public frame list.
func (d *draft) seal() (*sealedDraft, error) {
	frame, frameHash, valid := d.sealFrame()
	if !valid {
		return nil, d.frameRowsFirst(&d.in.Params, errInvalidFrameRow)
	}
	lists := PublicLists{
		Exclusions: sealRows(d.alg, d.in.RowKey, d.in.Exclusions, (*sealer).exclusion),
		Inspectors: d.in.Inspectors,
		Conflicts:  sealRows(d.alg, d.in.RowKey, d.in.Conflicts, (*sealer).conflict),
		Params:     d.in.Params,
	}
	hashes := hashListsButFrame(&lists)
	hashes.FrameSHA256 = frameHash
	hashes.NonceCommitment = nonceCommitment(d.alg, d.in.Nonce)
	c := Commitment{Algorithm: d.alg, Form: FormCommitment, Inputs: lists, Hashes: hashes}
	return &sealedDraft{withoutFrame: c, frame: frame}, nil
}

// errInvalidFrameRow stands for the error of an invalid frame row, which frameRowsFirst replaces
// with the full check's message: sealing finds such a row in the sorted frame, the message names
// its place in the caller's.
var errInvalidFrameRow = invalid("frame: a row is invalid")

// sealFrame computes every frame row's commitment and frame_sha256, the hash of the public rows'
// JSON Lines, in one pass over the frame: workers seal a segment of rows and encode its lines
// while one goroutine hashes the finished segments in order. At a million rows this is some seven
// SHA-256 blocks a row (salt 2, commitment 3, line 1.7), the bulk of a draw's work. The rows of a
// draft made by prepareToSeal are checked here, as they are sealed; valid is false when one is
// invalid.
func (d *draft) sealFrame() (commitments []Digest, hash Digest, valid bool) {
	frame, params := d.in.Frame, &d.in.Params
	commitments = make([]Digest, len(frame))
	var invalidRow atomic.Bool
	hash = hashEncoded(len(frame), runtime.GOMAXPROCS(0), func() segmentEncoder {
		s, t := newSealer(d.alg, d.in.RowKey), newSealer(d.alg, d.in.RowKey)
		check := newRowChecker(params)
		// Rows go two at a time (see framePair), each checked, sealed and encoded while its
		// strings are in the cache.
		return func(buf []byte, lo, hi int) []byte {
			for i := lo; i < hi; i += 2 {
				pair := frame[i:min(i+2, hi)]
				for k, r := range pair {
					if d.uncheckedRows && !check.valid(i+k, r) {
						invalidRow.Store(true)
					}
				}
				var c [2]Digest
				if len(pair) == 2 {
					c[0], c[1] = framePair(s, t, pair[0], pair[1])
				} else {
					_, c[0] = s.frame(pair[0])
				}
				for k, r := range pair {
					commitments[i+k] = c[k]
					buf = append(appendFrameCommitment(buf, FrameCommitment{ID: r.ID, Commitment: c[k]}), '\n')
				}
			}
			return buf
		}
	})
	return commitments, hash, !invalidRow.Load()
}

// sealRows returns the public form of confidential rows: their commitments, sorted.
func sealRows[T any](alg, rowKey string, rows []T, seal func(*sealer, T) (salt, commitment Digest)) []RowCommitment {
	s := newSealer(alg, rowKey)
	out := make([]RowCommitment, len(rows))
	for i, r := range rows {
		_, out[i].Commitment = seal(s, r)
	}
	slices.SortFunc(out, func(a, b RowCommitment) int { return a.Commitment.compare(b.Commitment) })
	return out
}

// hashLists computes the four list hashes and the params hash of l.
func hashLists(l *PublicLists) Hashes {
	h := hashListsButFrame(l)
	h.FrameSHA256 = hashLines(l.Frame, appendFrameCommitment)
	return h
}

// hashListsButFrame computes the hashes of l but the frame's, which sealing computes as it goes.
func hashListsButFrame(l *PublicLists) Hashes {
	params, err := CanonicalJSON(l.Params)
	if err != nil {
		// Validated params are strings, integers and booleans: this cannot happen.
		panic("draw: validated params have no canonical form: " + err.Error())
	}
	return Hashes{
		ExclusionsSHA256: hashLines(l.Exclusions, appendRowCommitment),
		InspectorsSHA256: hashLines(l.Inspectors, appendInspector),
		ConflictsSHA256:  hashLines(l.Conflicts, appendRowCommitment),
		ParamsSHA256:     sha256.Sum256(params),
	}
}

func nonceCommitment(alg, nonce string) Digest {
	h := newFramedHash(alg + " nonce")
	h.field(nonce)
	return h.sum()
}

// seedOf is the spec's seed: it mixes the secret nonce, the ceremony string and the hashes that
// fixed the inputs, so that no one alone controls it and it came after the inputs.
func seedOf(alg, nonce, ceremony string, h Hashes) Digest {
	f := newFramedHash(alg+" seed", nonce, ceremony)
	for _, d := range []Digest{h.FrameSHA256, h.ExclusionsSHA256, h.InspectorsSHA256, h.ConflictsSHA256, h.ParamsSHA256} {
		f.hexField(d)
	}
	return f.sum()
}

type namedDigest struct {
	name  string
	value Digest
}

// named lists the hashes in the order they are checked and reported.
func (h Hashes) named() []namedDigest {
	return []namedDigest{
		{"nonce_commitment", h.NonceCommitment},
		{"frame_sha256", h.FrameSHA256},
		{"exclusions_sha256", h.ExclusionsSHA256},
		{"inspectors_sha256", h.InspectorsSHA256},
		{"conflicts_sha256", h.ConflictsSHA256},
		{"params_sha256", h.ParamsSHA256},
	}
}

// sealer derives the salts and commitments of confidential rows:
//
//	salt(row)       = H(ALG+" salt", row_key, list, key fields of row)   (list "strata" in v2: a threshold)
//	commitment(row) = H(ALG+" row", hex(salt), canonical(row))
//
// One salt per row lets one row be opened without revealing any other.
type sealer struct {
	frameSalt, exclusionSalt, conflictSalt, stratumSalt *framedHash
	row                                                 *framedHash
}

func newSealer(alg, rowKey string) *sealer {
	salt := alg + " salt"
	return &sealer{
		frameSalt:     newFramedHash(salt, rowKey, "frame"),
		exclusionSalt: newFramedHash(salt, rowKey, "exclusions"),
		conflictSalt:  newFramedHash(salt, rowKey, "conflicts"),
		stratumSalt:   newFramedHash(salt, rowKey, "strata"),
		row:           newFramedHash(alg + " row"),
	}
}

// stratum seals a v2 stratum's threshold row.
func (s *sealer) stratum(r StratumRow) (salt, commitment Digest) {
	s.stratumSalt.field(r.Stratum)
	salt = s.stratumSalt.sum()
	return salt, commitRow(s.row, salt, r, appendStratumRow)
}

func (s *sealer) frame(r FrameRow) (salt, commitment Digest) {
	s.frameSalt.field(r.ID)
	salt = s.frameSalt.sum()
	return salt, commitRow(s.row, salt, r, appendFrameRow)
}

func (s *sealer) exclusion(x Exclusion) (salt, commitment Digest) {
	s.exclusionSalt.field(x.ID)
	salt = s.exclusionSalt.sum()
	return salt, commitRow(s.row, salt, x, appendExclusion)
}

func (s *sealer) conflict(c Conflict) (salt, commitment Digest) {
	s.conflictSalt.field(c.Inspector)
	s.conflictSalt.field(c.Entity)
	salt = s.conflictSalt.sum()
	return salt, commitRow(s.row, salt, c, appendConflict)
}

// commitRow is H(ALG+" row", hex(salt), canonical(row)), with h sharing ALG+" row". Openings
// call it with the salt they carry, since they have no row key.
func commitRow[T any](h *framedHash, salt Digest, row T, appendRow func([]byte, T) []byte) Digest {
	addRow(h, salt, row, appendRow)
	return h.sum()
}

// addRow adds the fields of commitRow's hash after ALG+" row".
func addRow[T any](h *framedHash, salt Digest, row T, appendRow func([]byte, T) []byte) {
	h.hexField(salt)
	start := h.openField()
	h.buf = appendRow(h.buf, row)
	h.closeField(start)
}

// framePair seals two frame rows at once, a with s and b with t: each of their hashes goes through
// the compression function with the other row's (see sumPair).
func framePair(s, t *sealer, a, b FrameRow) (ca, cb Digest) {
	s.frameSalt.field(a.ID)
	t.frameSalt.field(b.ID)
	saltA, saltB := sumPair(s.frameSalt, t.frameSalt)
	addRow(s.row, saltA, a, appendFrameRow)
	addRow(t.row, saltB, b, appendFrameRow)
	return sumPair(s.row, t.row)
}
