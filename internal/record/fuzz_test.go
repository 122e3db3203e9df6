package record

import (
	"strings"
	"testing"
	"time"

	"shuangsuiji/internal/errs"
)

var testRules = Rules{
	Codes: CodeTable{Version: 1, Codes: []ResultCode{
		{Code: "NO_PROBLEM", Label: "未发现问题", Exclusive: true},
		{Code: "FOLLOW_UP", Label: "发现问题待后续处理", Consequence: ConsequenceFocus},
		{Code: "UNREACHABLE", Label: "通过登记的住所（经营场所）无法联系", Consequence: ConsequenceProposeAbnormal},
	}},
	Methods:     []string{"实地检查", "书面检查"},
	WindowStart: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	WindowEnd:   time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC),
	Today:       time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC),
}

func TestValidate(t *testing.T) {
	ok := Record{ResultCodes: []string{"FOLLOW_UP"}, Methods: []string{"实地检查"}, InspectedOn: testRules.Today,
		FollowUp: FollowUp{Status: FollowUpNone}}
	closed := testRules.Today
	tests := []struct {
		name  string
		edit  func(r *Record)
		field string // "" when valid
	}{
		{"OK", func(r *Record) {}, ""},
		{"ErrNoCodes", func(r *Record) { r.ResultCodes = nil }, "input.resultCodes"},
		{"ErrUnknownCode", func(r *Record) { r.ResultCodes = []string{"X"} }, "input.resultCodes"},
		{"ErrTwice", func(r *Record) { r.ResultCodes = []string{"FOLLOW_UP", "FOLLOW_UP"} }, "input.resultCodes"},
		{"ErrExclusive", func(r *Record) { r.ResultCodes = []string{"NO_PROBLEM", "FOLLOW_UP"} }, "input.resultCodes"},
		{"ErrMethod", func(r *Record) { r.Methods = []string{"猜"} }, "input.methods"},
		{"ErrFuture", func(r *Record) { r.InspectedOn = testRules.Today.AddDate(0, 0, 1) }, "input.inspectedOn"},
		{"ErrBeforeWindow", func(r *Record) { r.InspectedOn = testRules.WindowStart.AddDate(0, 0, -1) }, "input.inspectedOn"},
		{"ErrNoDate", func(r *Record) { r.InspectedOn = time.Time{} }, "input.inspectedOn"},
		{"ErrLongFindings", func(r *Record) { r.Findings = strings.Repeat("查", MaxTextRunes+1) }, "input.findings"},
		{"ErrNUL", func(r *Record) { r.Disposal = "a\x00b" }, "input.disposal"},
		{"ErrClosedNoDate", func(r *Record) { r.FollowUp = FollowUp{Status: FollowUpClosed} }, "input.followUp.closedOn"},
		{"ClosedOK", func(r *Record) { r.FollowUp = FollowUp{Status: FollowUpClosed, ClosedOn: &closed} }, ""},
		{"ErrStatus", func(r *Record) { r.FollowUp = FollowUp{Status: "maybe"} }, "input.followUp.status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			err := Validate(r, testRules)
			e, isErr := errs.As(err)
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("Validate: %v, want valid", err)
			case tt.field != "" && (!isErr || e.Kind != errs.Invalid || e.Field != tt.field):
				t.Errorf("Validate: %v, want BAD_USER_INPUT on %s", err, tt.field)
			}
		})
	}
}

// FuzzValidate: whatever a client sends, Validate answers nil or
// BAD_USER_INPUT naming an input field, and never panics.
func FuzzValidate(f *testing.F) {
	f.Add("FOLLOW_UP", "实地检查", "消防通道堵塞", "open", int64(0))
	f.Add("NO_PROBLEM,FOLLOW_UP", "", "\x00", "closed", int64(-3))
	f.Add("", "猜", strings.Repeat("字", 6000), "none", int64(40))
	f.Fuzz(func(t *testing.T, codes, methods, text, followUp string, offset int64) {
		r := Record{ResultCodes: strings.Split(codes, ","), Methods: strings.Split(methods, ","),
			Findings: text, Disposal: text, FollowUp: FollowUp{Status: followUp, Note: text},
			InspectedOn: testRules.Today.AddDate(0, 0, int(offset%400))}
		err := Validate(r, testRules)
		if err == nil {
			return
		}
		e, ok := errs.As(err)
		if !ok || e.Kind != errs.Invalid || !strings.HasPrefix(e.Field, "input.") {
			t.Fatalf("Validate: %v, want BAD_USER_INPUT naming an input field", err)
		}
	})
}

// FuzzCheckEvidence: any upload is refused as BAD_USER_INPUT on
// input.file or accepted with a type from EvidenceTypes and its hash.
func FuzzCheckEvidence(f *testing.F) {
	f.Add("现场.jpg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
	f.Add("a.pdf", []byte("%PDF-1.7\n"))
	f.Add("../../etc/passwd", []byte("root:x:0:0"))
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, name string, content []byte) {
		ev, err := CheckEvidence("input.file", name, content)
		if err != nil {
			if e, ok := errs.As(err); !ok || e.Kind != errs.Invalid || e.Field != "input.file" {
				t.Fatalf("CheckEvidence: %v", err)
			}
			return
		}
		if len(ev.SHA256) != 64 || strings.ContainsAny(ev.Filename, "/\\\x00") {
			t.Fatalf("accepted %+v", ev)
		}
		found := false
		for _, typ := range EvidenceTypes {
			found = found || typ == ev.ContentType
		}
		if !found {
			t.Fatalf("type %q accepted", ev.ContentType)
		}
	})
}

func TestCheckEvidenceLimit(t *testing.T) {
	big := append([]byte("%PDF-1.4\n"), make([]byte, MaxEvidenceBytes)...)
	if _, err := CheckEvidence("input.file", "big.pdf", big); errs.KindOf(err) != errs.Invalid {
		t.Errorf("a file over the limit: %v, want BAD_USER_INPUT", err)
	}
	if _, err := CheckEvidence("input.file", "x.jpg", []byte("<script>alert(1)</script>")); errs.KindOf(err) != errs.Invalid {
		t.Errorf("HTML named .jpg: %v, want BAD_USER_INPUT", err)
	}
}
