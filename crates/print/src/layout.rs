//! What goes where: the board's pieces flowed over as many pages as they need. The first
//! page carries the full head (office, title, 公示期, the QR code); later pages a short one
//! (office, title 续); a table's header is repeated above its first row on every page;
//! each page keeps room at its foot for the record line and 第 N 页 共 M 页.

use super::{Board, Measure, Sheet};

/// One thing placed on a page, `y` from the top of the page in points.
#[derive(Debug, Clone, PartialEq)]
pub enum Placed {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    /// The table's header row, with each cell's lines.
    Header {
        y: f32,
        height: f32,
        cells: Vec<Vec<String>>,
    },
    /// Row `index` of the table.
    Row {
        index: usize,
        y: f32,
        height: f32,
        cells: Vec<Vec<String>>,
    },
    Qr {
        x: f32,
        y: f32,
        size: f32,
    },
}

/// One page as laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Laid {
    pub items: Vec<Placed>,
    /// The table rows on this page, in order.
    pub rows: Vec<usize>,
}

/// The page geometry every piece is placed in.
pub(crate) struct Frame {
    pub width: f32,
    pub height: f32,
    pub margin: f32,
    pub size: f32,
}

impl Frame {
    pub fn of(sheet: Sheet) -> Frame {
        let (width, height) = sheet.size();
        Frame {
            width,
            height,
            margin: 42.0,
            size: sheet.text_size(),
        }
    }

    pub fn inner(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    pub fn line(&self, size: f32) -> f32 {
        size * 1.5
    }

    /// Where content must end: above the two footer lines.
    pub fn bottom(&self) -> f32 {
        self.height - self.margin - 2.0 * self.line(self.size * 0.8)
    }

    pub fn qr_size(&self) -> f32 {
        self.size * 8.5
    }

    pub fn table_size(&self) -> f32 {
        self.size * 0.95
    }

    /// Each column's width in points.
    pub fn columns(&self, widths: &[f32]) -> Vec<f32> {
        let total: f32 = widths.iter().map(|w| w.max(0.01)).sum();
        widths
            .iter()
            .map(|w| w.max(0.01) / total * self.inner())
            .collect()
    }
}

/// Space between a table cell's border and its text.
pub(crate) const CELL_PAD: f32 = 3.0;

fn cells(m: &Measure, f: &Frame, values: &[String], columns: &[f32]) -> (Vec<Vec<String>>, f32) {
    let size = f.table_size();
    let cells: Vec<Vec<String>> = columns
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let text = values.get(i).map_or("", String::as_str);
            m.wrap(text, size, (w - 2.0 * CELL_PAD).max(size))
        })
        .collect();
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    (cells, lines as f32 * f.line(size) + 2.0 * CELL_PAD)
}

struct Flow<'a> {
    board: &'a Board,
    m: &'a Measure,
    f: Frame,
    pages: Vec<Laid>,
    page: Laid,
    y: f32,
    header_on_page: bool,
}

impl Flow<'_> {
    fn new_page(&mut self) {
        let done = std::mem::replace(
            &mut self.page,
            Laid {
                items: Vec::new(),
                rows: Vec::new(),
            },
        );
        self.pages.push(done);
        self.y = self.f.margin;
        self.header_on_page = false;
        // The short head of a continuation page.
        let small = self.f.size * 0.85;
        let head = format!("{} · {}（续）", self.board.office, self.board.title);
        for line in self.m.wrap(&head, small, self.f.inner()) {
            self.text(self.f.margin, small, line);
        }
        self.y += small * 0.5;
    }

    fn text(&mut self, x: f32, size: f32, text: String) {
        self.page.items.push(Placed::Text {
            x,
            y: self.y + size,
            size,
            text,
        });
        self.y += self.f.line(size);
    }

    /// Room for `height` more points, else a new page.
    fn room(&mut self, height: f32) {
        if self.y + height > self.f.bottom() && !self.page.items.is_empty() {
            self.new_page();
        }
    }

    fn paragraph(&mut self, text: &str, size: f32) {
        for line in self.m.wrap(text, size, self.f.inner()) {
            self.room(self.f.line(size));
            self.text(self.f.margin, size, line);
        }
    }
}

pub fn layout(board: &Board, sheet: Sheet, m: &Measure) -> Vec<Laid> {
    let f = Frame::of(sheet);
    let mut flow = Flow {
        board,
        m,
        y: f.margin,
        f,
        pages: Vec::new(),
        page: Laid {
            items: Vec::new(),
            rows: Vec::new(),
        },
        header_on_page: false,
    };
    let size = flow.f.size;
    let margin = flow.f.margin;
    // The head of the first page: the text beside the QR code, which sits top right.
    let beside = if board.qr_url.is_some() {
        let q = flow.f.qr_size();
        flow.page.items.push(Placed::Qr {
            x: flow.f.width - margin - q,
            y: margin,
            size: q,
        });
        flow.f.inner() - q - size
    } else {
        flow.f.inner()
    };
    for line in m.wrap(&board.office, size, beside) {
        flow.text(margin, size, line);
    }
    flow.y += size * 0.4;
    let title = size * 1.8;
    for line in m.wrap(&board.title, title, beside) {
        flow.text(margin, title, line);
    }
    flow.y += size * 0.3;
    let dates = size * 1.1;
    for d in &board.dates {
        for line in m.wrap(d, dates, beside) {
            flow.text(margin, dates, line);
        }
    }
    if board.qr_url.is_some() {
        let under_qr = margin + flow.f.qr_size() + flow.f.line(size * 0.8) + size * 0.5;
        flow.y = flow.y.max(under_qr);
    }
    flow.y += size * 0.6;
    for p in &board.paragraphs {
        flow.paragraph(p, size);
        flow.y += size * 0.3;
    }
    if let Some(table) = &board.table {
        let columns = flow.f.columns(&table.widths);
        let (head_cells, head_height) = cells(m, &flow.f, &table.headers, &columns);
        flow.y += size * 0.3;
        for (index, row) in table.rows.iter().enumerate() {
            let (row_cells, height) = cells(m, &flow.f, row, &columns);
            let need = if flow.header_on_page {
                height
            } else {
                height + head_height
            };
            if flow.y + need > flow.f.bottom() {
                flow.new_page();
            }
            if !flow.header_on_page {
                flow.page.items.push(Placed::Header {
                    y: flow.y,
                    height: head_height,
                    cells: head_cells.clone(),
                });
                flow.y += head_height;
                flow.header_on_page = true;
            }
            flow.page.items.push(Placed::Row {
                index,
                y: flow.y,
                height,
                cells: row_cells,
            });
            flow.page.rows.push(index);
            flow.y += height;
        }
        flow.y += size * 0.6;
    }
    if let Some(o) = &board.objection {
        flow.paragraph(o, size);
    }
    let last = std::mem::replace(
        &mut flow.page,
        Laid {
            items: Vec::new(),
            rows: Vec::new(),
        },
    );
    flow.pages.push(last);
    flow.pages
}
