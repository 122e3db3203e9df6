package roster

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// makeUSCC completes the first 17 characters of a USCC with its check
// character.
func makeUSCC(t testing.TB, first17 string) string {
	t.Helper()
	c, err := USCCCheckChar(first17)
	if err != nil {
		t.Fatalf("USCCCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

// testUSCC returns the i-th of a family of valid USCCs of county 140522.
func testUSCC(t testing.TB, i int) string {
	t.Helper()
	var body [9]byte
	for k := 8; k >= 0; k-- {
		body[k] = usccAlphabet[i%31]
		i /= 31
	}
	return makeUSCC(t, "92140522"+string(body[:]))
}

// makeRegistrationNumber completes 14 digits with their check digit.
func makeRegistrationNumber(first14 string) string {
	return first14 + string(registrationCheckDigit(first14))
}

// Real codes, each checked here: they pass only if the algorithm is right.
var realUSCCs = []string{
	"91350100M000100Y43", // the example of GB 32100-2015 itself
	"914403001922038216", // 华为技术有限公司
	"9144030071526726XG", // 腾讯科技（深圳）有限公司
	"91330100716105852F", // 阿里巴巴（中国）有限公司
	"91110108551385082Q", // 小米科技有限责任公司
	"91110000100010433L", // 中国石油天然气集团有限公司
}

func TestValidUSCC(t *testing.T) {
	for _, code := range realUSCCs {
		t.Run("OK/"+code, func(t *testing.T) {
			if err := ValidUSCC(code); err != nil {
				t.Errorf("ValidUSCC(%q) = %v, want nil", code, err)
			}
		})
	}
	for _, p := range []string{"12140522012345678", "51140522MJ0000000", "Y1140522000000001", "92140522L00000000", "93140522MA0XYWUTR"} {
		code := makeUSCC(t, p)
		t.Run("OK/computed/"+code, func(t *testing.T) {
			if err := ValidUSCC(code); err != nil {
				t.Errorf("ValidUSCC(%q) = %v, want nil", code, err)
			}
		})
	}
	tests := []struct {
		name, code string
		want       error
		wantMsg    string
	}{
		{"ErrEmpty", "", ErrCodeLength, "has 0"},
		{"ErrShort", "91350100M000100Y4", ErrCodeLength, "has 17"},
		{"ErrLong", "91350100M000100Y431", ErrCodeLength, "has 19"},
		{"ErrLetterI", "91350100I000100Y43", ErrCodeCharacter, "character 9 is 'I'"},
		{"ErrLetterO", "91350100O000100Y43", ErrCodeCharacter, "character 9 is 'O'"},
		{"ErrLetterS", "91350100S000100Y43", ErrCodeCharacter, "character 9 is 'S'"},
		{"ErrLetterV", "91350100V000100Y43", ErrCodeCharacter, "character 9 is 'V'"},
		{"ErrLetterZ", "91350100M000100Z43", ErrCodeCharacter, "character 16 is 'Z'"},
		{"ErrLowerCase", "91350100m000100Y43", ErrCodeCharacter, "letters must be capitals"},
		{"ErrPunctuation", "91350100-000100Y43", ErrCodeCharacter, "character 9 is '-'"},
		{"ErrSpace", "9135010 M000100Y43", ErrCodeCharacter, "character 8 is ' '"},
		{"ErrChinese", "91350100中000100Y43", ErrCodeCharacter, "character 9 is '中'"},
		{"ErrFullWidthDigit", "９1350100M000100Y43", ErrCodeCharacter, "character 1 is '９'"},
		{"ErrRegionLetter", "9135A100M000100Y43", ErrCodeCharacter, "region code"},
		{"ErrCheck", "91350100M000100Y44", ErrCodeCheck, "expected '3'"},
		{"ErrCheckInvalidLetter", "91350100M000100Y4I", ErrCodeCharacter, "character 18 is 'I'"},
		{"ErrTransposed", "93150100M000100Y43", ErrCodeCheck, "the 18th character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidUSCC(tt.code)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ValidUSCC(%q) = %v, want %v", tt.code, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ValidUSCC(%q) = %q, want it to say %q", tt.code, err, tt.wantMsg)
			}
		})
	}
}

// The weights are non-zero modulo the prime 31, so the check character
// catches every single wrong character.
func TestValidUSCCCatchesEverySubstitution(t *testing.T) {
	code := realUSCCs[0]
	for i := 0; i < 18; i++ {
		for j := 0; j < len(usccAlphabet); j++ {
			c := usccAlphabet[j]
			if c == code[i] {
				continue
			}
			wrong := code[:i] + string(c) + code[i+1:]
			if ValidUSCC(wrong) == nil {
				t.Errorf("ValidUSCC(%q) = nil, want an error (character %d changed)", wrong, i+1)
			}
		}
	}
}

func TestUSCCWeights(t *testing.T) {
	want := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	if usccWeights != want {
		t.Errorf("usccWeights = %v, want %v (GB 32100-2015 table 2)", usccWeights, want)
	}
}

func TestValidRegistrationNumber(t *testing.T) {
	for _, code := range []string{"110108000000016", "310000000007622", "440301103097413",
		makeRegistrationNumber("14052200000001"), makeRegistrationNumber("14052260012345"), makeRegistrationNumber("00000000000000")} {
		t.Run("OK/"+code, func(t *testing.T) {
			if err := ValidRegistrationNumber(code); err != nil {
				t.Errorf("ValidRegistrationNumber(%q) = %v, want nil", code, err)
			}
		})
	}
	tests := []struct {
		name, code string
		want       error
		wantMsg    string
	}{
		{"ErrShort", "11010800000001", ErrCodeLength, "has 14"},
		{"ErrLong", "1101080000000160", ErrCodeLength, "has 16"},
		{"ErrLetter", "11010800000001X", ErrCodeCharacter, "character 15 is 'X'"},
		{"ErrChinese", "1101080000000一6", ErrCodeCharacter, "character 14 is '一'"},
		{"ErrCheck", "110108000000017", ErrCodeCheck, "expected '6'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidRegistrationNumber(tt.code)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ValidRegistrationNumber(%q) = %v, want %v saying %q", tt.code, err, tt.want, tt.wantMsg)
			}
		})
	}
}

// Every single wrong digit is caught by MOD 11,10.
func TestValidRegistrationNumberCatchesEverySubstitution(t *testing.T) {
	code := "110108000000016"
	for i := 0; i < 15; i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == code[i] {
				continue
			}
			wrong := code[:i] + string(d) + code[i+1:]
			if ValidRegistrationNumber(wrong) == nil {
				t.Errorf("ValidRegistrationNumber(%q) = nil, want an error", wrong)
			}
		}
	}
}

func TestValidEntityCode(t *testing.T) {
	tests := []struct {
		name, code string
		want       CodeKind
		wantErr    error
	}{
		{"OK/USCC", "91350100M000100Y43", CodeUSCC, nil},
		{"OK/LowerCaseAndSpaces", "  91350100m000100y43 ", CodeUSCC, nil},
		{"OK/FullWidth", "９１３５０１００Ｍ０００１００Ｙ４３", CodeUSCC, nil},
		{"OK/IdeographicSpace", "\u300091350100M000100Y43\u3000", CodeUSCC, nil},
		{"OK/RegistrationNumber", "110108000000016", CodeRegistrationNumber, nil},
		{"ErrMissing", "  ", 0, ErrCodeMissing},
		{"ErrLength16", "1101080000000161", 0, ErrCodeLength},
		{"ErrRegistrationCheck", "110108000000017", CodeRegistrationNumber, ErrCodeCheck},
		{"ErrScientific", "9.11401E+17", 0, ErrCodeCharacter},
		{"ErrUSCCCheck", "91350100M000100Y42", CodeUSCC, ErrCodeCheck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidEntityCode(tt.code)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("ValidEntityCode(%q) = %v, %v; want %v, %v", tt.code, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNormalizeEntityCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"91350100M000100Y43", "91350100M000100Y43"},
		{" 91350100m000100y43\t", "91350100M000100Y43"},
		{"９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"},
		{"晋ａ001", "晋A001"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeEntityCode(tt.in); got != tt.want {
			t.Errorf("NormalizeEntityCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { NormalizeEntityCode(realUSCCs[0]) }); n != 0 {
		t.Errorf("NormalizeEntityCode of a normal code allocates %v times, want 0", n)
	}
}

func TestTestUSCCsAreValidAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		code := testUSCC(t, i*7919)
		if err := ValidUSCC(code); err != nil || seen[code] {
			t.Fatalf("testUSCC(%d) = %q: %v, seen %v", i, code, err, seen[code])
		}
		seen[code] = true
	}
}

func ExampleValidUSCC() {
	fmt.Println(ValidUSCC("91350100M000100Y43"))
	fmt.Println(ValidUSCC("91350100M000100Y44"))
	// Output:
	// <nil>
	// wrong check character: the 18th character of 91350100M000100Y44 is '4', expected '3'
}
