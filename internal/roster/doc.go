// Package roster reads and writes the rosters of 双随机、一公开 inspections
// as people keep them: CSV and XLSX files with Chinese headers. It knows no
// database; the roster service stores what it reads.
//
// # Vocabulary
//
// 一单两库 ("one list, two rosters") is what every bureau must keep before it
// may draw:
//
//   - 抽查事项清单, the inspection item list (KindItems): what may be
//     checked, on what legal basis (抽查依据), in which entity types, how,
//     how often and by inspectors with which qualification, with the lines
//     of its checklist (检查内容).
//   - 检查对象名录库, the entity roster (KindEntities): the market entities the
//     bureau supervises. 名录库 means roster.
//   - 执法检查人员名录库, the inspector roster (KindInspectors): the people who
//     may be drawn, with their law-enforcement certificate (执法证号) and its
//     validity, and their qualifications.
//
// An entity is known by its 统一社会信用代码 (USCC, unified social credit
// code, GB 32100-2015: 18 characters, the last a check character), or, when
// it was registered before 2015 and never given one, by its old 15-digit
// 注册号 (registration number, ISO 7064 MOD 11,10 check digit). There is one
// entity per code per region; each bureau keeps its own entry for it: its
// licence, its 属地单位 (the jurisdiction unit, a 所 or 中队, that
// supervises it), its 风险分类 (credit-risk class A 低, B 一般, C 较高, D 高,
// never published) and its 重点 ("focus") flags: on the 经营异常名录
// (abnormal operations list), on the 严重违法失信名单 (serious violation list),
// the complaints it received and the date of its last administrative
// penalty. Focus entities are drawn more often.
//
// # Files
//
// OpenSheet reads either format, detecting it; ReadEntities, ReadInspectors
// and ReadItems map the header and parse every row. An import is all or
// nothing: a file with any problem yields no rows and a list of FieldError,
// each with the row number as Excel shows it, the column as the user headed
// it, and what is wrong. WriteTemplate writes the empty file users fill in;
// WriteEntities and its kind export rows so that the file imports again
// unchanged.
package roster
