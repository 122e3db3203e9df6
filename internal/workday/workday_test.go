package workday

import (
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// libraryWorking is the library's own answer, asked day by day: what the
// calendar must agree with.
func libraryWorking(d time.Time) bool {
	if h := HolidayUtil.GetHolidayByYmd(d.Year(), int(d.Month()), d.Day()); h != nil {
		return h.IsWork()
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// naiveAfter counts with the library directly.
func naiveAfter(d time.Time, n int) time.Time {
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if libraryWorking(d) {
			n--
		}
	}
	return d
}

func TestAfter(t *testing.T) {
	c := New(nil, nil)
	tests := []struct {
		name, from string
		days       int
		want       string
	}{
		{"March", "2026-03-02", 20, "2026-03-30"},
		{"Zero", "2026-03-02", 0, "2026-03-02"},
		// 2026 Spring Festival: 2-15..2-23 off, 2-14 and 2-28 (Saturdays) worked
		{"SpringFestival", "2026-02-10", 20, naiveAfter(day("2026-02-10"), 20).Format(time.DateOnly)},
		{"NationalDay", "2026-09-25", 20, naiveAfter(day("2026-09-25"), 20).Format(time.DateOnly)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, provisional := c.After(day(tt.from), tt.days)
			if got.Format(time.DateOnly) != tt.want || provisional {
				t.Errorf("After(%s, %d) = %s (provisional %v), want %s", tt.from, tt.days, got.Format(time.DateOnly), provisional, tt.want)
			}
		})
	}
}

// TestHolidaysAgreeWithLibrary checks every day of 2026 and 2027 against
// the library asked directly, and that the holidays really are off.
func TestHolidaysAgreeWithLibrary(t *testing.T) {
	c := New(nil, nil)
	for d := day("2026-01-01"); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		if got, want := c.IsWorking(d), libraryWorking(d); got != want {
			t.Errorf("%s: working %v, library %v", d.Format(time.DateOnly), got, want)
		}
	}
	for _, off := range []string{"2026-02-17", "2026-10-01", "2026-10-07"} { // 春节, 国庆
		if c.IsWorking(day(off)) {
			t.Errorf("%s is a holiday, counted as a working day", off)
		}
	}
	if !c.IsWorking(day("2026-02-14")) { // Saturday made a working day for the Spring Festival
		t.Error("2026-02-14 is a make-up working day")
	}
	// Spring Festival span: from the Friday before to ten working days on
	if got := c.Between(day("2026-02-13"), day("2026-02-27")); got != 5 {
		t.Errorf("working days after 2026-02-13 up to 02-27 = %d, want 5 (02-14, 02-24..02-27)", got)
	}
}

func TestProvisionalYears(t *testing.T) {
	c := New(nil, nil)
	if !c.Known(2027) || c.Known(2031) {
		t.Fatalf("known 2027 %v, 2031 %v: want the library to ship 2027, not 2031", c.Known(2027), c.Known(2031))
	}
	if _, p := c.After(day("2031-03-02"), 20); !p {
		t.Error("a deadline in 2031 is not provisional")
	}
	if _, p := c.After(day("2027-12-20"), 20); !p {
		t.Error("a deadline running into an unknown year is not provisional")
	}
	withYear := New([]Override{{Day: day("2031-03-10"), Working: false, Name: "测试"}}, []int{2031, 2028, 2029, 2030})
	got, p := withYear.After(day("2031-03-02"), 10)
	if p || got.Format(time.DateOnly) != "2031-03-17" {
		t.Errorf("with 2031 declared and a rest day on Monday 03-10: %s (provisional %v), want 2031-03-17, final", got.Format(time.DateOnly), p)
	}
}

func TestEarliestEndsNotDueBefore(t *testing.T) {
	c := New(nil, nil)
	today := day("2026-10-20")
	ends := c.EarliestEndsNotDueBefore(today, 40)
	for n := 1; n <= 40; n++ {
		e := ends[n]
		if due, _ := c.After(e, n); due.Before(today) {
			t.Errorf("n=%d: end %s is due %s, before today", n, e.Format(time.DateOnly), due.Format(time.DateOnly))
		}
		if due, _ := c.After(e.AddDate(0, 0, -1), n); !due.Before(today) {
			t.Errorf("n=%d: the day before %s is due %s, not before today", n, e.Format(time.DateOnly), due.Format(time.DateOnly))
		}
	}
}
