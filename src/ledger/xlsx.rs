//! The ledger as an .xlsx workbook: one worksheet per section, written in constant-memory mode
//! (each row leaves memory once the next is written) while the rows are read page by page.
//!
//! Reading and writing overlap: this task reads the next page from the database while a
//! blocking thread writes the previous one into the workbook, so a year's ledger costs about the
//! longer of the two rather than their sum.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};
use sea_orm::ConnectionTrait;
use tokio::sync::mpsc;

use super::cells::{Cell, excel_serial};
use super::service::{Scope, SheetPages, columns};
use super::types::LedgerSheet;
use crate::http::{AppError, AppResult};

/// Pages read ahead of the writer: enough to keep both busy, few enough to bound memory.
const PAGES_AHEAD: usize = 2;

/// What the reader hands the writer.
enum Part {
    Sheet(LedgerSheet),
    Rows(Vec<Vec<Cell>>),
    /// Every section was read: without it the writer treats the end as a failed read.
    End,
}

fn failed(err: XlsxError) -> AppError {
    AppError::internal(anyhow::anyhow!("xlsx: {err}"))
}

/// The workbook's bytes.
pub async fn workbook(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<u8>> {
    let (parts, received) = mpsc::channel(PAGES_AHEAD);
    let writer = tokio::task::spawn_blocking(move || write(received));
    let read = read(db, scope, &parts).await;
    drop(parts);
    let written = writer.await.map_err(AppError::internal)?;
    // A failed read is the cause; the writer then only saw the channel close early.
    read?;
    written
}

async fn read(db: &impl ConnectionTrait, scope: &Scope, parts: &mpsc::Sender<Part>) -> AppResult<()> {
    // The writer stopped (it failed): its own error is the one to report.
    let gone = |_| AppError::internal(anyhow::anyhow!("xlsx writer stopped"));
    for sheet in LedgerSheet::ALL {
        parts.send(Part::Sheet(sheet)).await.map_err(gone)?;
        let mut pages = SheetPages::new(sheet);
        while let Some(page) = pages.next(db, scope).await? {
            parts.send(Part::Rows(page)).await.map_err(gone)?;
        }
    }
    parts.send(Part::End).await.map_err(gone)
}

fn write(mut parts: mpsc::Receiver<Part>) -> AppResult<Vec<u8>> {
    let mut workbook = Workbook::new();
    // Deflate level 1 instead of 6: the compressing dominates a year's workbook, and the file
    // comes out only slightly larger.
    workbook.set_zip_compression_level(1);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00DD_EBF7))
        .set_border(FormatBorder::Thin);
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let mut row: u32 = 0;
    let mut sheet_index = None;
    loop {
        match parts.blocking_recv() {
            Some(Part::Sheet(sheet)) => {
                let worksheet = workbook.add_worksheet_with_constant_memory().map_err(failed)?;
                worksheet.set_name(sheet.title()).map_err(failed)?;
                for (col, column) in (0u16..).zip(columns(sheet)) {
                    worksheet.set_column_width(col, column.1).map_err(failed)?;
                    worksheet
                        .write_string_with_format(0, col, column.0, &header)
                        .map_err(failed)?;
                }
                worksheet.set_freeze_panes(1, 0).map_err(failed)?;
                sheet_index = Some(sheet_index.map_or(0, |i| i + 1));
                row = 0;
            }
            Some(Part::Rows(rows)) => {
                let index =
                    sheet_index.ok_or_else(|| AppError::internal(anyhow::anyhow!("xlsx rows before a sheet")))?;
                let worksheet = workbook.worksheet_from_index(index).map_err(failed)?;
                for cells in rows {
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
                }
            }
            Some(Part::End) => return workbook.save_to_buffer().map_err(failed),
            None => return Err(AppError::internal(anyhow::anyhow!("ledger read ended early"))),
        }
    }
}
