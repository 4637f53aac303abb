"""Legacy Excel workbooks (.xls, BIFF5-8) via xlrd: one "sheet" section per worksheet, a line
per row with its non-empty cells separated by tabs (dates and numbers as they read)."""

from __future__ import annotations

from .common import Source, TextBuilder, choose_title, fail
from .text import bytes_per_char_limit
from .types import Extracted, ExtractionError

XLS_MAX_BYTES = 200 * 1024 * 1024


def extract_xls(src: Source, max_chars: int) -> Extracted:
    import xlrd

    data, longer = src.read(min(XLS_MAX_BYTES, bytes_per_char_limit(max_chars) * 8))
    if longer:
        raise ExtractionError(f"legacy Excel file larger than {XLS_MAX_BYTES // 2**20} MB")
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=_Quiet())
    except xlrd.XLRDError as e:
        if "encrypt" in str(e).lower():
            raise ExtractionError("document is encrypted (password-protected Office file)") \
                from e
        raise fail("XLS", e) from e
    except Exception as e:  # struct errors, truncated streams, bad records
        raise fail("XLS", e) from e
    b = TextBuilder(max_chars)
    try:
        for index in range(book.nsheets):
            if b.full:
                break
            sheet = book.sheet_by_index(index)
            b.section("sheet", sheet.name)
            lines = []
            for row in range(sheet.nrows):
                cells = [_cell(book, c) for c in sheet.row(row)]
                line = "\t".join(c for c in cells if c)
                if line:
                    lines.append(line)
            b.add("\n".join(lines))
            book.unload_sheet(index)
    except Exception as e:
        raise fail("XLS", e) from e
    finally:
        book.release_resources()
    return b.build(choose_title(None, b, src.stem), "xls")


def _cell(book: object, cell: object) -> str:
    import xlrd

    ctype, value = cell.ctype, cell.value  # type: ignore[attr-defined]
    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    if ctype == xlrd.XL_CELL_NUMBER:
        return str(int(value)) if float(value).is_integer() else f"{value:g}"
    if ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(value, book.datemode).isoformat(  # type: ignore[attr-defined]
                sep=" ").removesuffix(" 00:00:00")
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return str(value)
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    return str(value).strip()


class _Quiet:
    """xlrd prints warnings about odd records to a log file; a worker has no use for them."""

    def write(self, text: str) -> int:
        return len(text)
