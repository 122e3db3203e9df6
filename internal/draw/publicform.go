package draw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// The stored forms of the public documents. A store keeps a draw's commitment (from the freeze)
// and its public manifest (from the ceremony) so that anyone may read them without the sealed
// input. As canonical JSON they are some 100 bytes a frame row each: 100 MB apiece for a
// million-entity draw, which lib/pq sends as 200 MB of hex text and TOAST cuts into 50,000
// chunks, most of the time of freezing and executing such a draw. These forms hold the same
// documents in a third of the size and are turned back into the same canonical JSON, byte for
// byte, when someone asks (DocumentJSON, PublicManifestJSON). Like the input's binary form they
// are private to this code base and never published.
//
// The commitment:
//
//	magic "SSJC" 0x01
//	hashes: the six 32-byte digests of Hashes, in their order (CommittedHashes reads them alone)
//	header: uvarint length, JSON of {algorithm, form, inspectors, params}
//	frame: uvarint count, per row its id front-coded against the previous row's (uvarint bytes
//	       shared, string of the rest) and its 32-byte commitment
//	exclusions, conflicts: uvarint count, 32-byte commitments
//
// The public manifest, which shares the commitment's lists and so is stored without them:
//
//	magic "SSJP" 0x01
//	header: uvarint length, JSON of {algorithm, form, nonce, ceremony, hashes, seed, strata}
//	dictionary: uvarint count, strings (bureaus and inspectors of the teams)
//	tasks: uvarint count, per task its entity (string), 32-byte ticket, uvarint members, and per
//	       member its bureau and inspector (dictionary entries), then 0, or 1 and uvarint step
//	       (v2), or 2 and a 32-byte ticket (v1)
var (
	commitmentMagic     = []byte("SSJC\x01")
	publicManifestMagic = []byte("SSJP\x01")
)

type commitmentHeader struct {
	Algorithm  string      `json:"algorithm"`
	Form       string      `json:"form"`
	Inspectors []Inspector `json:"inspectors"`
	Params     Params      `json:"params"`
}

type publicManifestHeader struct {
	Algorithm string                   `json:"algorithm"`
	Form      string                   `json:"form"`
	Nonce     string                   `json:"nonce"`
	Ceremony  string                   `json:"ceremony"`
	Hashes    Hashes                   `json:"hashes"`
	Seed      Digest                   `json:"seed"`
	Strata    map[string]PublicStratum `json:"strata"`
}

// MarshalBinary encodes the commitment in its stored form.
func (c *Commitment) MarshalBinary() ([]byte, error) {
	l := &c.Inputs
	header, err := json.Marshal(commitmentHeader{c.Algorithm, c.Form, l.Inspectors, l.Params})
	if err != nil {
		return nil, err
	}
	rows := len(l.Frame) + len(l.Exclusions) + len(l.Conflicts)
	w := &binWriter{buf: make([]byte, 0, CommittedHashesSize+len(header)+16+40*rows)}
	w.buf = append(w.buf, commitmentMagic...)
	for _, h := range c.Hashes.named() {
		w.buf = append(w.buf, h.value[:]...)
	}
	w.string(string(header))
	w.uint(len(l.Frame))
	previous := ""
	for _, r := range l.Frame {
		w.frontCoded(previous, r.ID)
		w.buf = append(w.buf, r.Commitment[:]...)
		previous = r.ID
	}
	for _, list := range [][]RowCommitment{l.Exclusions, l.Conflicts} {
		w.uint(len(list))
		for _, r := range list {
			w.buf = append(w.buf, r.Commitment[:]...)
		}
	}
	return w.buf, nil
}

// UnmarshalBinaryCommitment decodes a commitment's stored form; corrupt data is an error.
func UnmarshalBinaryCommitment(data []byte) (*Commitment, error) {
	if !bytes.HasPrefix(data, commitmentMagic) {
		return nil, errors.New("stored commitment: not in the binary form")
	}
	r := &binReader{data: string(data[len(commitmentMagic):])}
	hashes := readHashes(r)
	var h commitmentHeader
	if err := json.Unmarshal([]byte(r.string()), &h); r.err == nil && err != nil {
		return nil, fmt.Errorf("stored commitment: header: %w", err)
	}
	c := &Commitment{Algorithm: h.Algorithm, Form: h.Form, Hashes: hashes,
		Inputs: PublicLists{Inspectors: h.Inspectors, Params: h.Params}}
	c.Inputs.Frame = frameCommitments(r)
	c.Inputs.Exclusions = rowCommitments(r)
	c.Inputs.Conflicts = rowCommitments(r)
	if r.err == nil && r.pos != len(r.data) {
		r.fail("data after the conflicts")
	}
	if r.err != nil {
		return nil, fmt.Errorf("stored commitment: %w", r.err)
	}
	return c, nil
}

// CommittedHashesSize is how many bytes of a commitment's stored form CommittedHashes reads.
const CommittedHashesSize = 5 + 6*32

// CommittedHashes reads the hashes of a commitment from the first CommittedHashesSize bytes of
// its stored form; false when head is not that.
func CommittedHashes(head []byte) (Hashes, bool) {
	if len(head) < CommittedHashesSize || !bytes.HasPrefix(head, commitmentMagic) {
		return Hashes{}, false
	}
	r := &binReader{data: string(head[len(commitmentMagic):CommittedHashesSize])}
	return readHashes(r), r.err == nil
}

func readHashes(r *binReader) Hashes {
	var h Hashes
	for _, d := range []*Digest{&h.NonceCommitment, &h.FrameSHA256, &h.ExclusionsSHA256, &h.InspectorsSHA256,
		&h.ConflictsSHA256, &h.ParamsSHA256} {
		*d = r.digest()
	}
	return h
}

// frameCommitments decodes the frame's ids and commitments, the ids rebuilt into one buffer.
func frameCommitments(r *binReader) []FrameCommitment {
	n := r.count(1 + 1 + len(Digest{}))
	frame := make([]FrameCommitment, n)
	ids := newFrontCodedIDs(n, 0)
	for i := range frame {
		if !ids.read(r) {
			return nil
		}
		frame[i].Commitment = r.digest()
	}
	if r.err != nil {
		return nil
	}
	ids.each(func(i int, id string) { frame[i].ID = id })
	return frame
}

func rowCommitments(r *binReader) []RowCommitment {
	rows := make([]RowCommitment, r.count(len(Digest{})))
	for i := range rows {
		rows[i].Commitment = r.digest()
	}
	return rows
}

// digest reads 32 raw bytes.
func (r *binReader) digest() Digest {
	var d Digest
	if r.err != nil {
		return d
	}
	if len(r.data)-r.pos < len(d) {
		r.fail("a truncated digest")
		return d
	}
	copy(d[:], r.data[r.pos:])
	r.pos += len(d)
	return d
}

// Member kinds in the public manifest's stored form.
const (
	memberPlain = iota
	memberStep
	memberTicket
)

// MarshalBinary encodes the public manifest in its stored form, without the public lists, which
// are its commitment's: PublicManifestFrom puts them back.
func (p *PublicManifest) MarshalBinary() ([]byte, error) {
	header, err := json.Marshal(publicManifestHeader{p.Algorithm, p.Form, p.Inputs.Nonce, p.Inputs.Ceremony,
		p.Hashes, p.Seed, p.Strata})
	if err != nil {
		return nil, err
	}
	w := &binWriter{buf: make([]byte, 0, 64*len(p.Tasks)), index: map[string]int{}}
	w.uint(len(p.Tasks))
	for _, t := range p.Tasks {
		w.string(t.Entity)
		w.buf = append(w.buf, t.Ticket[:]...)
		w.uint(len(t.Team))
		for _, m := range t.Team {
			w.word(m.Bureau)
			w.word(m.Inspector)
			switch {
			case m.Step != nil:
				w.uint(memberStep)
				w.uint(*m.Step)
			case m.Ticket != nil:
				w.uint(memberTicket)
				w.buf = append(w.buf, m.Ticket[:]...)
			default:
				w.uint(memberPlain)
			}
		}
	}
	head := &binWriter{buf: append(make([]byte, 0, len(w.buf)+len(header)+64), publicManifestMagic...)}
	head.string(string(header))
	head.uint(len(w.words))
	for _, s := range w.words {
		head.string(s)
	}
	return append(head.buf, w.buf...), nil
}

// PublicManifestFrom decodes a public manifest's stored form and completes it with the public
// lists of the draw's commitment c, which it shares: a caller stores a public manifest in this
// form only when its hashes are the commitment's (CommittedHashes).
func PublicManifestFrom(c *Commitment, data []byte) (*PublicManifest, error) {
	if !bytes.HasPrefix(data, publicManifestMagic) {
		return nil, errors.New("stored public manifest: not in the binary form")
	}
	r := &binReader{data: string(data[len(publicManifestMagic):])}
	var h publicManifestHeader
	if err := json.Unmarshal([]byte(r.string()), &h); r.err == nil && err != nil {
		return nil, fmt.Errorf("stored public manifest: header: %w", err)
	}
	word := r.dictionary()
	tasks := make([]PublicTask, r.count(1+len(Digest{})+1))
	for i := range tasks {
		tasks[i] = PublicTask{Entity: r.string(), Ticket: r.digest()}
		tasks[i].Team = make([]TeamMember, r.count(3))
		for k := range tasks[i].Team {
			tasks[i].Team[k] = readMember(r, word)
		}
	}
	if r.err == nil && r.pos != len(r.data) {
		r.fail("data after the tasks")
	}
	if r.err != nil {
		return nil, fmt.Errorf("stored public manifest: %w", r.err)
	}
	return &PublicManifest{Algorithm: h.Algorithm, Form: h.Form, Hashes: h.Hashes, Seed: h.Seed, Strata: h.Strata, Tasks: tasks,
		Inputs: PublicInputs{PublicLists: c.Inputs, Nonce: h.Nonce, Ceremony: h.Ceremony}}, nil
}

func readMember(r *binReader, word func() string) TeamMember {
	m := TeamMember{Bureau: word(), Inspector: word()}
	switch r.uint() {
	case memberPlain:
	case memberStep:
		step := int(r.uint())
		m.Step = &step
	case memberTicket:
		ticket := r.digest()
		m.Ticket = &ticket
	default:
		r.fail("an unknown kind of team member")
	}
	return m
}

// IsStoredForm reports whether a stored public document is in one of the binary forms above
// rather than canonical JSON (as documents stored before them are, and stay).
func IsStoredForm(doc []byte) bool {
	return bytes.HasPrefix(doc, commitmentMagic) || bytes.HasPrefix(doc, publicManifestMagic)
}
