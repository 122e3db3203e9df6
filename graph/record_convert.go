package graph

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"shuangsuiji/graph/model"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/record"
	"shuangsuiji/internal/workday"
)

// Conversions for tasks, records and the working-day calendar.

func recordPayload(rec record.Record, err error) (*model.RecordPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.RecordPayload{Record: &rec}, nil
}

func workdayPayload(y workday.Year, err error) (*model.WorkdayPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.WorkdayPayload{Year: &y}, nil
}

// optionalID is the global id of an optional reference.
func optionalID(typ string, id *int64) *string {
	if id == nil {
		return nil
	}
	s := globalID(typ, *id)
	return &s
}

// entryOf turns the fields given into an entry; absent ones stay nil.
func entryOf(codes, methods []string, findings, disposal *string, followUp *model.FollowUpInput, inspectedOn *time.Time) record.Entry {
	e := record.Entry{Findings: findings, Disposal: disposal, InspectedOn: inspectedOn}
	if codes != nil {
		e.ResultCodes = &codes
	}
	if methods != nil {
		e.Methods = &methods
	}
	if followUp != nil {
		e.FollowUp = &record.FollowUp{Status: strings.ToLower(string(followUp.Status)), Due: followUp.Due,
			ClosedOn: followUp.ClosedOn, Note: deref(followUp.Note)}
	}
	return e
}

func taskFilter(f *model.TaskFilter, mine bool) record.TaskFilter {
	out := record.TaskFilter{Mine: mine}
	if f == nil {
		return out
	}
	for _, st := range f.States {
		out.States = append(out.States, record.TaskState(strings.ToLower(string(st))))
	}
	if f.DrawID != nil {
		id := numberOf(*f.DrawID, nodeDraw)
		out.DrawID = &id
	}
	out.WindowFrom, out.WindowTo, out.Overdue, out.DueWithin = f.WindowFrom, f.WindowTo, f.Overdue, f.DueWithin
	out.EntityQuery = strings.TrimSpace(deref(f.Entity))
	return out
}

func recordFilter(f *model.RecordFilter) record.RecordFilter {
	var out record.RecordFilter
	if f == nil {
		return out
	}
	for _, st := range f.States {
		out.States = append(out.States, record.State(strings.ToLower(string(st))))
	}
	if f.DrawID != nil {
		id := numberOf(*f.DrawID, nodeDraw)
		out.DrawID = &id
	}
	out.EntityCode = strings.TrimSpace(deref(f.EntityCode))
	return out
}

// resultsOf gives a record's codes with their labels from its table version.
func resultsOf(ctx context.Context, s *record.Service, rec *record.Record) ([]record.ResultCode, error) {
	table, err := loaders(ctx).Records.CodeTables.Load(ctx, rec.CodeVersion)
	if err != nil {
		return nil, err
	}
	out := make([]record.ResultCode, 0, len(rec.ResultCodes))
	for _, c := range rec.ResultCodes {
		rc, ok := table.Lookup(c)
		if !ok {
			rc = record.ResultCode{Code: c, Label: c}
		}
		out = append(out, rc)
	}
	return out, nil
}

// itemRecord picks the bureau's record of a task item among the task's records.
func itemRecord(recs []record.Record, item *record.TaskItem) *record.Record {
	if item.RecordID == nil {
		return nil
	}
	for i := range recs {
		if recs[i].ID == *item.RecordID {
			return &recs[i]
		}
	}
	return nil
}

// readUpload reads an evidence upload, at most one byte past the limit so
// that an oversized file is refused without being held in memory whole.
func readUpload(f graphql.Upload) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f.File, record.MaxEvidenceBytes+1))
	if err != nil {
		return nil, errs.InvalidField("input.file", "the upload could not be read")
	}
	return b, nil
}
