package public

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/xuri/excelize/v2"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// ResultColumns are the columns of the exports, those of the national
// enterprise credit publicity system's 抽查检查结果.
var ResultColumns = []string{"企业名称", "统一社会信用代码", "检查实施机关", "抽查任务名称", "抽查事项", "检查日期", "检查结果"}

func resultRecord(r Result) []string {
	return []string{r.EntityName, r.EntityCode, r.Bureau.Name, r.TaskName, r.ItemName,
		r.InspectedOn.Format("2006-01-02"), r.Summary()}
}

// resultFilter reads the search from the query parameters q, region,
// bureau, item, from and to (the same for the page and the exports).
func resultFilter(q url.Values) (ResultFilter, error) {
	f := ResultFilter{Query: q.Get("q"), Region: q.Get("region"), Bureau: q.Get("bureau"), Item: q.Get("item")}
	var err error
	if f.From, err = ParseDate("from", q.Get("from")); err != nil {
		return f, err
	}
	if f.To, err = ParseDate("to", q.Get("to")); err != nil {
		return f, err
	}
	return f.Normalize()
}

func (h *Handler) results(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := resultFilter(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	conn, err := h.Service.Results(r.Context(), f, page.Request{First: 30, After: q.Get("after")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next := nextPage(r, conn.PageInfo)
	q.Del("after")
	h.render(w, r, http.StatusOK, "results.html", "抽查检查结果公示", struct {
		Filter  ResultFilter
		From    string
		To      string
		Results []Result
		Next    string
		CSV     template.URL // the exports with the same filter
		XLSX    template.URL
	}{f, q.Get("from"), q.Get("to"), conn.Nodes(), next,
		template.URL("/public/results.csv?" + q.Encode()), template.URL("/public/results.xlsx?" + q.Encode())})
}

// resultsCSV streams every result the filter admits as CSV (UTF-8 with a
// byte-order mark, which Excel needs to read Chinese), in constant memory.
func (h *Handler) resultsCSV(w http.ResponseWriter, r *http.Request) {
	f, err := resultFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", attachment("csv"))
	buf := bufio.NewWriterSize(w, 64<<10)
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(buf)
	cw.Write(ResultColumns)
	err = h.Service.EachResult(r.Context(), f, func(res Result) error {
		return cw.Write(resultRecord(res))
	})
	if err == nil {
		cw.Flush()
		err = errors.Join(cw.Error(), buf.Flush())
	}
	if err != nil {
		// The header is out: cut the connection so that the client sees a
		// broken download, never a file that silently ends early.
		h.Log.Error("results.csv", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// MaxXLSXRows is one sheet's limit (1,048,576 rows, the header included).
const MaxXLSXRows = 1048575

// resultsXLSX writes the results as one sheet. The stream writer keeps
// the rows in a temporary file, not in memory; beyond a sheet's rows the
// answer is BAD_USER_INPUT pointing at the CSV.
func (h *Handler) resultsXLSX(w http.ResponseWriter, r *http.Request) {
	f, err := resultFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	book := excelize.NewFile()
	defer book.Close()
	const sheet = "抽查检查结果"
	book.SetSheetName("Sheet1", sheet)
	sw, err := book.NewStreamWriter(sheet)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sw.SetColWidth(1, 1, 36)
	sw.SetColWidth(2, 2, 22)
	sw.SetColWidth(3, 5, 28)
	sw.SetColWidth(6, 6, 12)
	sw.SetColWidth(7, 7, 36)
	if err := sw.SetRow("A1", cells(ResultColumns)); err != nil {
		h.fail(w, r, err)
		return
	}
	row := 1
	err = h.Service.EachResult(r.Context(), f, func(res Result) error {
		if row++; row > MaxXLSXRows+1 {
			return errs.E(errs.Invalid, "more than %d results: narrow the search or download results.csv", MaxXLSXRows)
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, cells(resultRecord(res)))
	})
	if err == nil {
		err = sw.Flush()
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", attachment("xlsx"))
	if err := book.Write(w); err != nil {
		h.Log.Error("results.xlsx", "err", err)
	}
}

func cells(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// attachment is the Content-Disposition of an export dated today, with an
// ASCII name for old clients and the Chinese one (RFC 6266) for the rest.
func attachment(ext string) string {
	day := time.Now().In(chinaTime).Format("20060102")
	return fmt.Sprintf(`attachment; filename="results-%s.%s"; filename*=UTF-8''%s`,
		day, ext, url.PathEscape("抽查检查结果-"+day+"."+ext))
}
