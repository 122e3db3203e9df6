package roster

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// The kinds of wrong entity codes. Errors from ValidUSCC,
// ValidRegistrationNumber and ValidEntityCode wrap exactly one of them, so
// callers can branch with errors.Is while the message says what is wrong.
var (
	ErrCodeMissing   = errors.New("missing code")
	ErrCodeLength    = errors.New("wrong length")
	ErrCodeCharacter = errors.New("invalid character")
	ErrCodeCheck     = errors.New("wrong check character")
)

// CodeKind says which of the two national identifiers an entity code is.
type CodeKind int

// The entity code kinds: the 18-character USCC (GB 32100-2015), or, for
// entities registered before 2015 that were never re-issued one, the
// 15-digit registration number (注册号).
const (
	CodeUSCC CodeKind = iota + 1
	CodeRegistrationNumber
)

func (k CodeKind) String() string {
	switch k {
	case CodeUSCC:
		return "uscc"
	case CodeRegistrationNumber:
		return "registration_number"
	}
	return fmt.Sprintf("CodeKind(%d)", int(k))
}

// usccAlphabet is the GB 32100-2015 character set: digits and capital
// letters without I, O, S, V and Z, which are too easily misread. A
// character's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccValues maps a byte to its value in usccAlphabet, or -1.
var usccValues = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(usccAlphabet); i++ {
		v[usccAlphabet[i]] = int8(i)
	}
	return v
}()

// usccWeights are 3^(i-1) mod 31 for positions i = 1..17.
var usccWeights = func() (w [17]int) {
	p := 1
	for i := range w {
		w[i] = p
		p = p * 3 % 31
	}
	return w
}()

// NormalizeEntityCode returns code as it is stored and compared: without
// surrounding spaces, full-width characters (as typed with a Chinese input
// method) made half-width, letters in upper case. A code that is already
// normal is returned without allocating.
func NormalizeEntityCode(code string) string {
	code = strings.TrimSpace(code)
	for i := 0; i < len(code); i++ {
		if c := code[i]; c >= utf8.RuneSelf {
			code = strings.TrimSpace(width.Narrow.String(code))
			break
		}
	}
	return strings.ToUpper(code)
}

// ValidEntityCode normalises code and validates it as a USCC, or as a
// registration number when it is 15 digits. It says which one it is.
func ValidEntityCode(code string) (CodeKind, error) {
	code = NormalizeEntityCode(code)
	if code == "" {
		return 0, fmt.Errorf("%w: enter the 统一社会信用代码 (18 characters) or, when the entity has none, its 注册号 (15 digits)", ErrCodeMissing)
	}
	if looksScientific(code) {
		return 0, fmt.Errorf("%w: %q is a number shortened by Excel; format the column as text and enter the code again", ErrCodeCharacter, code)
	}
	if len(code) == 15 && allDigits(code) {
		return CodeRegistrationNumber, ValidRegistrationNumber(code)
	}
	if n := utf8.RuneCountInString(code); n != 18 {
		return 0, fmt.Errorf("%w: an entity code has 18 characters (统一社会信用代码) or 15 digits (注册号); %q has %d", ErrCodeLength, code, n)
	}
	return CodeUSCC, ValidUSCC(code)
}

// ValidUSCC reports whether code is a unified social credit code by GB
// 32100-2015: 18 characters of usccAlphabet, characters 3 to 8 the region
// code (digits), and the last character the check character. code must be
// normal (see NormalizeEntityCode): a lower-case letter is wrong here.
func ValidUSCC(code string) error {
	if n := utf8.RuneCountInString(code); n != 18 {
		return fmt.Errorf("%w: a 统一社会信用代码 has 18 characters; %q has %d", ErrCodeLength, code, n)
	}
	// 18 runes in 18 bytes: all ASCII, so byte positions are character positions.
	if len(code) != 18 {
		return firstNonASCII(code)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValues[code[i]]
		if v < 0 {
			return usccCharError(code, i)
		}
		if i >= 2 && i < 8 && v > 9 {
			return fmt.Errorf("%w: characters 3 to 8 of a 统一社会信用代码 are the region code and must be digits; character %d is %q", ErrCodeCharacter, i+1, code[i])
		}
		sum += int(v) * usccWeights[i]
	}
	want := usccAlphabet[(31-sum%31)%31]
	if code[17] == want {
		return nil
	}
	if usccValues[code[17]] < 0 {
		return usccCharError(code, 17)
	}
	return fmt.Errorf("%w: the 18th character of %s is %q, expected %q", ErrCodeCheck, code, code[17], want)
}

// USCCCheckChar returns the GB 32100-2015 check character for the first 17
// characters of a USCC, or an error when they are not 17 valid characters.
// Tests and seed data use it to make valid codes.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("%w: want the first 17 characters, got %d bytes", ErrCodeLength, len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValues[first17[i]]
		if v < 0 {
			return 0, usccCharError(first17, i)
		}
		sum += int(v) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31], nil
}

// ValidRegistrationNumber reports whether code is a 15-digit registration
// number (注册号) of the old business registration system: 15 digits, the
// last one an ISO 7064 MOD 11,10 check digit over the first 14.
func ValidRegistrationNumber(code string) error {
	if n := utf8.RuneCountInString(code); n != 15 {
		return fmt.Errorf("%w: a 注册号 has 15 digits; %q has %d characters", ErrCodeLength, code, n)
	}
	for i, r := range []rune(code) {
		if r < '0' || r > '9' {
			return fmt.Errorf("%w: a 注册号 has only digits; character %d is %q", ErrCodeCharacter, i+1, r)
		}
	}
	want := registrationCheckDigit(code[:14])
	if code[14] != want {
		return fmt.Errorf("%w: the 15th digit of %s is %q, expected %q", ErrCodeCheck, code, code[14], want)
	}
	return nil
}

// registrationCheckDigit computes the ISO 7064 MOD 11,10 check digit of
// digits (ASCII digits only).
func registrationCheckDigit(digits string) byte {
	p := 10
	for i := 0; i < len(digits); i++ {
		s := (p + int(digits[i]-'0')) % 10
		if s == 0 {
			s = 10
		}
		p = s * 2 % 11
	}
	return byte('0' + (11-p)%10)
}

func usccCharError(code string, i int) error {
	c := code[i]
	hint := "a 统一社会信用代码 has only digits and the capital letters A to Y except I, O, S, V and Z"
	if c >= 'a' && c <= 'z' {
		hint = "letters must be capitals"
	}
	return fmt.Errorf("%w: character %d is %q; %s", ErrCodeCharacter, i+1, c, hint)
}

// firstNonASCII reports the first character of code that no USCC can have.
func firstNonASCII(code string) error {
	pos := 0
	for _, r := range code {
		pos++
		if r >= utf8.RuneSelf {
			return fmt.Errorf("%w: character %d is %q; a 统一社会信用代码 has only digits and capital letters", ErrCodeCharacter, pos, r)
		}
	}
	return fmt.Errorf("%w: %q is not text", ErrCodeCharacter, code)
}

// looksScientific recognises what Excel makes of a long all-digit code typed
// into a number cell, such as "9.1350100E+17": the digits are lost.
func looksScientific(s string) bool {
	i := strings.Index(s, "E+")
	return i > 1 && strings.IndexByte(s[:i], '.') > 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
