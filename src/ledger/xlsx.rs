//! The ledger as an .xlsx workbook: one worksheet per section, written in constant-memory mode
//! (each row leaves memory once the next is written) while the rows are read page by page.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};
use sea_orm::ConnectionTrait;

use super::cells::{Cell, excel_serial};
use super::service::{Scope, columns, each_row};
use super::types::LedgerSheet;
use crate::http::{AppError, AppResult};

fn failed(err: XlsxError) -> AppError {
    AppError::internal(anyhow::anyhow!("xlsx: {err}"))
}

/// The workbook's bytes.
pub async fn workbook(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<u8>> {
    let mut workbook = Workbook::new();
    // Deflate level 1 instead of 6: the compressing dominates a year's workbook, and the file
    // comes out only slightly larger.
    workbook.set_zip_compression_level(1);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00DD_EBF7))
        .set_border(FormatBorder::Thin);
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for sheet in LedgerSheet::ALL {
        let worksheet = workbook.add_worksheet_with_constant_memory().map_err(failed)?;
        worksheet.set_name(sheet.title()).map_err(failed)?;
        for (col, column) in (0u16..).zip(columns(sheet)) {
            worksheet.set_column_width(col, column.1).map_err(failed)?;
            worksheet
                .write_string_with_format(0, col, column.0, &header)
                .map_err(failed)?;
        }
        worksheet.set_freeze_panes(1, 0).map_err(failed)?;
        let mut row: u32 = 0;
        each_row(db, scope, sheet, |cells| {
            row += 1;
            for (col, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Text(text) => worksheet.write_string(row, col, text).map(|_| ()),
                    Cell::Number(n) => worksheet.write_number(row, col, n as f64).map(|_| ()),
                    Cell::Time(at) => worksheet
                        .write_number_with_format(row, col, excel_serial(at), &time)
                        .map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(failed)?;
            }
            Ok(())
        })
        .await?;
    }
    // Compressing the sheets is the CPU-heavy part: keep it off the request threads.
    tokio::task::spawn_blocking(move || workbook.save_to_buffer())
        .await
        .map_err(AppError::internal)?
        .map_err(failed)
}
