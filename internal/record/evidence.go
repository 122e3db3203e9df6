package record

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"shuangsuiji/internal/errs"
)

// MaxEvidenceBytes is the largest evidence file accepted (10 MiB): enough
// for a phone photo or a scanned page, small enough to keep in the database.
const MaxEvidenceBytes = 10 << 20

// EvidenceTypes are the content types accepted, told by the content itself
// (a photo renamed .pdf is still a photo; a script renamed .jpg is refused).
var EvidenceTypes = []string{"image/jpeg", "image/png", "image/webp", "application/pdf"}

// EvidenceFile is a checked evidence upload.
type EvidenceFile struct {
	Filename    string
	ContentType string
	SHA256      string
	Content     []byte
}

// CheckEvidence checks an upload's size, name and type, named by field,
// and returns it with its content type and SHA-256.
func CheckEvidence(field, filename string, content []byte) (EvidenceFile, error) {
	switch {
	case len(content) == 0:
		return EvidenceFile{}, errs.InvalidField(field, "the file is empty")
	case len(content) > MaxEvidenceBytes:
		return EvidenceFile{}, errs.InvalidField(field, "the file has %d bytes; at most %d (10 MiB) are accepted", len(content), MaxEvidenceBytes)
	}
	name := path.Base(strings.ReplaceAll(strings.TrimSpace(filename), `\`, "/"))
	if name == "." || name == "/" || name == "" || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return EvidenceFile{}, errs.InvalidField(field, "the file needs a name")
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	kind := sniff(content)
	if kind == "" {
		return EvidenceFile{}, errs.InvalidField(field, "%s is not a JPEG, PNG or WebP photo or a PDF", clip(name))
	}
	sum := sha256.Sum256(content)
	return EvidenceFile{Filename: name, ContentType: kind, SHA256: hex.EncodeToString(sum[:]), Content: content}, nil
}

// sniff tells the type by content (the WHATWG sniffing algorithm), "" when
// it is not one of EvidenceTypes.
func sniff(content []byte) string {
	kind := http.DetectContentType(content)
	for _, t := range EvidenceTypes {
		if kind == t {
			return t
		}
	}
	return ""
}
