package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"shuangsuiji/internal/draw"
)

// Exit statuses of the draw commands.
const (
	exitOK      = 0
	exitFailed  = 1 // refused, not verified, or unreadable
	exitMisused = 2 // bad flags or arguments
)

// runDrawCommand implements `draw --input FILE [--public]`: it draws from an input (a draw input
// as JSON, or a test vector file holding one under "input") and prints the full manifest, or the
// public one, as canonical JSON and a newline. A refused input prints "code: reason" on stderr.
func runDrawCommand(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("draw", flag.ContinueOnError)
	flags.SetOutput(stderr)
	inputPath, public := drawFlags(flags)
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: draw --input FILE [--public]")
		flags.PrintDefaults()
	}
	if flags.Parse(args) != nil {
		return exitMisused
	}
	if *inputPath == "" || flags.NArg() > 0 {
		flags.Usage()
		return exitMisused
	}
	manifest, err := drawFromFile(*inputPath, *public)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	stdout.Write(append(manifest, '\n'))
	return exitOK
}

// drawFlags defines the flags of `draw` (also for its --help).
func drawFlags(fs *flag.FlagSet) (inputPath *string, public *bool) {
	inputPath = fs.String("input", "", "draw input `FILE` (JSON), or a test vector file")
	public = fs.Bool("public", false, "print the public manifest instead of the full one")
	return inputPath, public
}

// drawFromFile draws from the input in path and returns the manifest as canonical JSON. The
// errors of draw.Run print as "invalid_input: reason" or "insufficient_inspectors: reason".
func drawFromFile(path string, public bool) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	in, err := draw.ParseInput(inputOf(raw))
	if err != nil {
		return nil, err
	}
	m, err := draw.Run(in)
	if err != nil {
		return nil, err
	}
	if !public {
		return draw.CanonicalJSON(m)
	}
	p, err := m.Public()
	if err != nil {
		return nil, err
	}
	return draw.CanonicalJSON(p)
}

// inputOf returns the "input" of a test vector file, or raw itself when it is an input.
func inputOf(raw []byte) []byte {
	var vector struct {
		Input json.RawMessage `json:"input"`
	}
	if json.Unmarshal(raw, &vector) == nil && vector.Input != nil {
		return vector.Input
	}
	return raw
}

// runVerifyDrawCommand implements `verify-draw FILE`, which checks a full or public manifest, a
// freeze-time commitment or a test vector file, and `verify-draw --opening OPENING PUBLIC`, which
// checks the public manifest and then one entity's opening against it. It prints "ok: …" and
// returns 0 only when everything holds; otherwise it prints the first difference on stderr.
func runVerifyDrawCommand(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("verify-draw", flag.ContinueOnError)
	flags.SetOutput(stderr)
	openingPath := verifyDrawFlags(flags)
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: verify-draw FILE\n       verify-draw --opening OPENING PUBLIC")
		flags.PrintDefaults()
	}
	if flags.Parse(args) != nil {
		return exitMisused
	}
	if flags.NArg() != 1 {
		flags.Usage()
		return exitMisused
	}
	var verdict string
	var err error
	if *openingPath != "" {
		verdict, err = verifyOpening(*openingPath, flags.Arg(0))
	} else {
		verdict, err = verifyDocument(flags.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(stderr, "verify-draw:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, "ok:", verdict)
	return exitOK
}

// verifyDrawFlags defines the flags of `verify-draw` (also for its --help).
func verifyDrawFlags(fs *flag.FlagSet) (openingPath *string) {
	return fs.String("opening", "", "check the entity opening in `OPENING` against the public manifest")
}

func verifyDocument(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	kind, err := draw.Verify(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return fmt.Sprintf("%s: %s verified", path, kind), nil
}

// verifyOpening verifies the public manifest first: an opening means nothing against a manifest
// whose seed or tickets are wrong.
func verifyOpening(openingPath, publicPath string) (string, error) {
	publicRaw, err := os.ReadFile(publicPath)
	if err != nil {
		return "", err
	}
	kind, err := draw.Verify(publicRaw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", publicPath, err)
	}
	if kind != draw.KindPublicManifest {
		return "", fmt.Errorf("%s: is a %s, not a public manifest", publicPath, kind)
	}
	var public draw.PublicManifest
	if err := json.Unmarshal(publicRaw, &public); err != nil {
		return "", fmt.Errorf("%s: %w", publicPath, err)
	}
	opening, err := readOpening(openingPath)
	if err != nil {
		return "", err
	}
	fate, err := draw.CheckOpening(opening, &public)
	if err != nil {
		return "", fmt.Errorf("%s: %w", openingPath, err)
	}
	return fmt.Sprintf("%s: entity %s was rightly %s: its opening checks out against %s", openingPath, opening.Entity, fate, publicPath), nil
}

func readOpening(path string) (draw.Opening, error) {
	var opening draw.Opening
	raw, err := os.ReadFile(path)
	if err != nil {
		return opening, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opening); err != nil {
		return opening, fmt.Errorf("%s: not an opening: %w", path, err)
	}
	return opening, nil
}
