package roster

import "github.com/xuri/excelize/v2"

// Defaults of the bounds on what is read of a file (issue 15). A real
// roster row is about 300 bytes of text and its longest cell, 备注, at
// most 500 characters; 200,000 such rows are 60 MB.
const (
	DefaultMaxCellBytes = 8 << 10
	DefaultMaxRowBytes  = 32 << 10
	DefaultMaxTextBytes = 96 << 20
)

// bounds are Options' limits as the readers count them down.
type bounds struct {
	cell     int64  // text of one cell
	row      int64  // text of one row, plus slotBytes a cell
	rowXML   int64  // XML of one row (or shared string), tags and all
	text     int64  // text of all rows; the shared strings have as much again
	document string // what the file is, in messages
}

// rowXMLFactor is how much larger than its text a row's XML may be: tags,
// styles and cell references of short cells take several times their text.
const rowXMLFactor = 8

func (o Options) bounds() bounds {
	return bounds{cell: o.MaxCellBytes, row: o.MaxRowBytes, rowXML: rowXMLFactor * o.MaxRowBytes, text: o.MaxTextBytes,
		document: o.Document}
}

func cellTooLarge(line, col int, b bounds) *FileError {
	name, _ := excelize.ColumnNumberToName(col)
	return fileErr(TooLarge, "cell_too_large", "第%d行 %s 列的内容超过 %s，%s的单元格不会这么长：请检查该单元格（是否粘贴了大段文字）后重新上传",
		line, name, humanSize(b.cell), b.document)
}

func rowTooLarge(line int, b bounds) *FileError {
	return fileErr(TooLarge, "row_too_large", "第%d行（或其附近）的内容超过 %s 或列数过多：请删除表格右侧多余的列和大段文字后重新上传",
		line, humanSize(b.row))
}

func contentTooLarge(b bounds) *FileError {
	return fileErr(TooLarge, "content_too_large", "表格内容解压后超过 %s：请%s", humanSize(b.text), splitAdvice(b))
}

func sharedStringsTooLarge(b bounds) *FileError {
	return fileErr(TooLarge, "content_too_large", "工作簿中的文字解压后超过 %s：请删除无关的工作表，或%s", humanSize(b.text), splitAdvice(b))
}

// splitAdvice is how to make a file smaller: a roster by school or grade,
// any other table simply in parts.
func splitAdvice(b bounds) string {
	if b.document == rosterDocument {
		return "按学校或年级拆分成多个文件上传"
	}
	return "拆分成多个文件上传"
}
