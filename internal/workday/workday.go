// Package workday counts working days (工作日) by the State Council's
// calendar: weekends are rest days, except the make-up working days (调休上班)
// the State Council announces each year with the public holidays (法定节假日).
//
// The announced calendar comes from github.com/6tail/lunar-go, which ships
// every year from 2002 to the one announced last (2027 in v1.4.7). An admin
// can override single days (a late announcement, a local rest day) and
// declare a year complete, for a year the library does not know yet. A
// count that crosses a year known to neither is provisional: it assumes
// plain weekends there, and callers say so (an overdue list marks such
// deadlines, and they firm up once the year is announced).
//
// Dates are calendar dates: time.Time values at midnight UTC, as the Date
// scalar and PostgreSQL's date type carry them.
package workday

import (
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// China is the time zone the calendar's days are in.
var China = time.FixedZone("CST", 8*60*60)

// Override is an admin's correction of one day of the calendar.
type Override struct {
	Day     time.Time `db:"day"`
	Working bool      `db:"working"`
	Name    string    `db:"name"`
}

// Calendar answers whether a day is a working day: overrides first, then
// the library's announced holidays and make-up days, then weekends.
type Calendar struct {
	overrides map[time.Time]Override
	complete  map[int]bool // years an admin declared complete
}

// New returns the calendar of the library with the overrides applied and
// the years an admin declared complete.
func New(overrides []Override, completeYears []int) *Calendar {
	c := &Calendar{overrides: map[time.Time]Override{}, complete: map[int]bool{}}
	for _, o := range overrides {
		o.Day = Date(o.Day)
		c.overrides[o.Day] = o
	}
	for _, y := range completeYears {
		c.complete[y] = true
	}
	return c
}

// Date is the calendar date of t (its year, month and day where t is),
// as midnight UTC.
func Date(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// IsWorking reports whether d is a working day.
func (c *Calendar) IsWorking(d time.Time) bool {
	d = Date(d)
	if o, ok := c.overrides[d]; ok {
		return o.Working
	}
	if h, ok := libraryYear(d.Year())[d]; ok {
		return h.work
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// Name is the holiday (or make-up day) d belongs to, "" for an ordinary day.
func (c *Calendar) Name(d time.Time) string {
	d = Date(d)
	if o, ok := c.overrides[d]; ok {
		return o.Name
	}
	return libraryYear(d.Year())[d].name
}

// Known reports whether the calendar of year is announced: the library
// ships it or an admin declared it complete.
func (c *Calendar) Known(year int) bool {
	return c.complete[year] || len(libraryYear(year)) > 0
}

// After returns the n-th working day after d (d itself not counted; n ≥ 0,
// n = 0 gives d), and whether the answer is provisional because a year on
// the way is not known.
func (c *Calendar) After(d time.Time, n int) (time.Time, bool) {
	d = Date(d)
	provisional := !c.Known(d.Year())
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if d.Month() == time.January && d.Day() == 1 && !c.Known(d.Year()) {
			provisional = true
		}
		if c.IsWorking(d) {
			n--
		}
	}
	return d, provisional
}

// Between counts the working days after from up to and including to
// (0 when to is not after from).
func (c *Calendar) Between(from, to time.Time) int {
	n := 0
	for d := Date(from).AddDate(0, 0, 1); !d.After(Date(to)); d = d.AddDate(0, 0, 1) {
		if c.IsWorking(d) {
			n++
		}
	}
	return n
}

// EarliestEndsNotDueBefore gives, for each n from 0 to max, the earliest
// inspection end whose deadline of n working days is on or after day: a
// deadline After(end, n) falls before day exactly when end is before
// ends[n]. It lets a database select overdue tasks by their end date
// without knowing the calendar.
func (c *Calendar) EarliestEndsNotDueBefore(day time.Time, max int) []time.Time {
	// After(end, n) ≥ day ⇔ fewer than n working days lie strictly
	// between end and day ⇔ end is at or after the n-th working day
	// counted back from the day before day.
	ends := make([]time.Time, max+1)
	d := Date(day)
	ends[0] = d
	for n := 1; n <= max; {
		d = d.AddDate(0, 0, -1)
		if c.IsWorking(d) {
			ends[n] = d
			n++
		}
	}
	return ends
}

type libraryDay struct {
	work bool
	name string
}

var (
	libraryMu    sync.Mutex
	libraryYears = map[int]map[time.Time]libraryDay{}
)

// libraryYear is the library's announced days of year, read once: the
// library searches a long string on every call.
func libraryYear(year int) map[time.Time]libraryDay {
	libraryMu.Lock()
	defer libraryMu.Unlock()
	if days, ok := libraryYears[year]; ok {
		return days
	}
	days := map[time.Time]libraryDay{}
	if year >= 1 && year <= 9999 {
		for e := HolidayUtil.GetHolidaysByYear(year).Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			d, err := time.Parse("2006-01-02", h.GetDay())
			if err != nil || d.Year() != year {
				continue
			}
			days[d] = libraryDay{work: h.IsWork(), name: h.GetName()}
		}
	}
	libraryYears[year] = days
	return days
}
