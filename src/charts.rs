//! Charts drawn on the server as inline SVG: no JavaScript, no CDN. Each chart carries a
//! `<title>` and a `<desc>` that says in words what it shows; colours come from CSS classes so
//! dark mode applies. Pure: data in, markup out.

use crate::scheduler::Prefs;
use crate::stats::{Tally, INTERVAL_BUCKETS};
use chrono::{Datelike, Duration, NaiveDate};
use std::fmt::Write;

/// Escapes text for SVG/HTML content and attributes.
pub use crate::text::html::escape as esc;

fn date_of(day: i64) -> NaiveDate {
    NaiveDate::default() + Duration::days(day)
}

pub(crate) fn open(id: &str, w: u32, h: u32, title: &str, desc: &str) -> String {
    format!(
        r#"<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    )
}

/// The chart's numbers as a small table under it, collapsed by default: the `<title>` tooltips
/// of the bars and cells need a mouse, so touch and keyboard readers get the same numbers here.
/// `<details>` opens without JavaScript.
fn data_table(title: &str, head: [&str; 2], rows: &[(String, String)]) -> String {
    let mut s = format!(
        r#"<details class="chart-data"><summary>数据表<span class="sr">：{}</span></summary><table><thead><tr><th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>"#,
        esc(title),
        esc(head[0]),
        esc(head[1])
    );
    if rows.is_empty() {
        s.push_str(r#"<tr><td colspan="2">暂无数据</td></tr>"#);
    }
    for (k, v) in rows {
        let _ = write!(
            s,
            r#"<tr><th scope="row">{}</th><td>{}</td></tr>"#,
            esc(k),
            esc(v)
        );
    }
    s.push_str("</tbody></table></details>");
    s
}

/// A calendar of reviews per day: weeks as columns (Monday on top), like GitHub's. Drawn at its
/// natural size (one user unit = one CSS pixel, so 13-unit text is 13 px) inside a scroll box
/// that opens at today; the scroll box is focusable and named, so keyboard and screen-reader
/// users can reach and scroll it. The per-day numbers follow in a data table.
pub fn heatmap(days: &[(i64, usize)], _prefs: &Prefs) -> String {
    const CELL: i64 = 13;
    const TOP: i64 = 20;
    const LEFT: i64 = 22;
    let Some(&(first, _)) = days.first() else {
        return String::new();
    };
    let first_weekday = i64::from(date_of(first).weekday().num_days_from_monday());
    let weeks = (first_weekday + days.len() as i64 + 6) / 7;
    let w = (LEFT + weeks * CELL + 2) as u32;
    let h = (TOP + 7 * CELL + 2) as u32;
    let desc = heatmap_desc(days);
    let title = "复习日历：每天答题数";
    let mut s = String::from(
        r#"<div class="chart-wrap heat" tabindex="0" role="region" aria-label="复习日历（可横向滚动）">"#,
    );
    s.push_str(&open("heatmap", w, h, title, &desc));
    for (row, label) in [(0, "一"), (2, "三"), (4, "五")] {
        let _ = write!(
            s,
            r#"<text class="axis" x="0" y="{}">{label}</text>"#,
            TOP + row * CELL + 11
        );
    }
    for (i, (day, n)) in days.iter().enumerate() {
        let pos = first_weekday + i as i64;
        let (col, row) = (pos / 7, pos % 7);
        let date = date_of(*day);
        // A month is named above the week holding its first Monday, and only when the label
        // fits before the right edge: a label for a partial first week would collide with the
        // next month's.
        if row == 0 && date.day() <= 7 && col < weeks - 2 {
            let _ = write!(
                s,
                r#"<text class="axis" x="{}" y="14">{}月</text>"#,
                LEFT + col * CELL,
                date.month()
            );
        }
        let level = heat_level(*n);
        let _ = write!(
            s,
            r#"<rect class="h{level}" x="{}" y="{}" width="11" height="11" rx="2"><title>{}：{n} 题</title></rect>"#,
            LEFT + col * CELL,
            TOP + row * CELL,
            date.format("%-m月%-d日")
        );
    }
    s.push_str("</svg></div>");
    let rows = heatmap_rows(days);
    s.push_str(&data_table(title, ["日期", "答题数"], &rows));
    s
}

/// The chart's description in words: active days, total answers and the busiest day.
fn heatmap_desc(days: &[(i64, usize)]) -> String {
    let total: usize = days.iter().map(|(_, n)| n).sum();
    let active = days.iter().filter(|(_, n)| *n > 0).count();
    let busiest = days.iter().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0);
    let mut desc = format!(
        "过去 {} 天里有 {active} 天做了复习，共 {total} 题。",
        days.len()
    );
    if let Some((d, n)) = busiest {
        let _ = write!(
            desc,
            "最多的一天是 {}，{n} 题。",
            date_of(*d).format("%Y年%-m月%-d日")
        );
    }
    desc
}

/// Only the days with answers, newest first: a year of empty days says nothing.
fn heatmap_rows(days: &[(i64, usize)]) -> Vec<(String, String)> {
    days.iter()
        .rev()
        .filter(|(_, n)| *n > 0)
        .map(|(d, n)| {
            (
                date_of(*d).format("%Y年%-m月%-d日").to_string(),
                format!("{n} 题"),
            )
        })
        .collect()
}

/// The shade of a day with `n` answers, 0 (none) to 4.
fn heat_level(n: usize) -> u8 {
    match n {
        0 => 0,
        1..=2 => 1,
        3..=5 => 2,
        6..=10 => 3,
        _ => 4,
    }
}

/// Vertical bars with a label under some of them.
struct Bars<'a> {
    id: &'a str,
    title: &'a str,
    desc: String,
    values: Vec<Option<f64>>,
    max: f64,
    labels: Vec<(usize, String)>,
    /// Per bar: what it is and its value in words, for the tooltip and the data table.
    rows: Vec<(String, String)>,
    head: [&'a str; 2],
    target: Option<f64>,
    percent: bool,
}

/// The drawing's width in user units. It is close to the width the chart is shown at (a
/// 390 px phone gives the column 358 px; desktop columns are wider, and the SVG is never
/// scaled above its natural size), so 13-unit text renders at 11–13 px everywhere. The first
/// version drew 598 units shown at 358 px, which shrank 10-unit text to 6 px.
const BARS_W: f64 = 360.0;

fn bars(b: Bars) -> String {
    let n = b.values.len().max(1);
    let slot = (BARS_W - BARS_LEFT - 4.0) / n as f64;
    let w = BARS_W;
    let total_h = BARS_TOP + BARS_H + 24.0;
    let mut s = String::from(r#"<div class="chart-wrap">"#);
    s.push_str(&open(b.id, w as u32, total_h as u32, b.title, &b.desc));
    let max = if b.max > 0.0 { b.max } else { 1.0 };
    bars_grid(&mut s, max, b.percent);
    bars_columns(&mut s, &b, slot, max);
    bars_labels(&mut s, &b.labels, slot);
    if let Some(t) = b.target {
        bars_target(&mut s, t, max);
    }
    s.push_str("</svg></div>");
    s.push_str(&data_table(b.title, b.head, &b.rows));
    s
}

/// Height of the plotting area of a bar chart.
const BARS_H: f64 = 140.0;
/// Room above the plotting area of a bar chart.
const BARS_TOP: f64 = 18.0;
/// Room left of the plotting area of a bar chart, for the y-axis labels.
const BARS_LEFT: f64 = 38.0;

/// The horizontal grid lines and their y-axis labels.
fn bars_grid(s: &mut String, max: f64, percent: bool) {
    // y axis: 0, middle, max
    for frac in [0.0, 0.5, 1.0] {
        let y = BARS_TOP + BARS_H - BARS_H * frac;
        let v = max * frac;
        let label = if percent {
            format!("{:.0}%", v * 100.0)
        } else if v.fract().abs() > 1e-9 {
            // A small axis (minutes a day) has a fractional middle line.
            format!("{v:.1}")
        } else {
            format!("{}", v.round())
        };
        let _ = write!(
            s,
            r#"<line class="grid" x1="{BARS_LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="0" y="{:.1}">{label}</text>"#,
            BARS_W - 2.0,
            y + 4.5
        );
    }
}

/// One bar per value, with a tooltip; a dash where there is nothing to measure.
fn bars_columns(s: &mut String, b: &Bars, slot: f64, max: f64) {
    for (i, v) in b.values.iter().enumerate() {
        let x = BARS_LEFT + slot * i as f64 + slot * 0.15;
        let bw = slot * 0.7;
        let tip = b
            .rows
            .get(i)
            .map(|(k, v)| format!("{k}：{v}"))
            .unwrap_or_default();
        match v {
            // A measured 0% gets a visible sliver, so it differs from "no answers"; a count
            // of zero needs none.
            Some(v) if *v <= 0.0 && b.percent => {
                let _ = write!(
                    s,
                    r#"<rect class="bar zero" x="{x:.1}" y="{:.1}" width="{bw:.1}" height="2"><title>{}</title></rect>"#,
                    BARS_TOP + BARS_H - 2.0,
                    esc(&tip)
                );
            }
            Some(v) if *v <= 0.0 => {}
            Some(v) => {
                let bh = (BARS_H * (v / max)).max(2.0);
                let _ = write!(
                    s,
                    r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{bh:.1}"><title>{}</title></rect>"#,
                    BARS_TOP + BARS_H - bh,
                    esc(&tip)
                );
            }
            // Nothing to measure: say so with a dash instead of a bar that looks like 0%.
            None => {
                let _ = write!(
                    s,
                    r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">–<title>{}</title></text>"#,
                    x + bw / 2.0,
                    BARS_TOP + BARS_H - 4.0,
                    esc(&tip)
                );
            }
        }
    }
}

/// The labels under some of the bars.
fn bars_labels(s: &mut String, labels: &[(usize, String)], slot: f64) {
    for (i, label) in labels {
        // Keep the first and last labels inside the drawing.
        let x = (BARS_LEFT + slot * *i as f64 + slot * 0.5).clamp(BARS_LEFT + 12.0, BARS_W - 24.0);
        let _ = write!(
            s,
            r#"<text class="axis" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            BARS_TOP + BARS_H + 18.0,
            esc(label)
        );
    }
}

/// The dashed line at the target retention, labelled.
fn bars_target(s: &mut String, t: f64, max: f64) {
    let y = BARS_TOP + BARS_H - BARS_H * (t / max);
    let label = format!("目标 {:.0}%", t * 100.0);
    let _ = write!(
        s,
        r#"<line class="target-halo" x1="{BARS_LEFT}" x2="{x2:.1}" y1="{y:.1}" y2="{y:.1}"/><line class="target" x1="{BARS_LEFT}" x2="{x2:.1}" y1="{y:.1}" y2="{y:.1}"><title>{label}</title></line><text class="target-label" x="{x2:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
        y - 5.0,
        x2 = BARS_W - 2.0,
    );
}

/// Concepts coming due per day over the next days (index 0 = today, overdue included).
pub fn forecast(counts: &[usize]) -> String {
    let total: usize = counts.iter().sum();
    // An even maximum keeps the middle grid line on a whole number.
    let top = counts.iter().copied().max().unwrap_or(0).max(2);
    let max = (top + top % 2) as f64;
    let busiest = counts
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .filter(|(_, n)| **n > 0);
    let mut desc = format!(
        "未来 {} 天共有 {total} 次概念到期；今天 {} 个。",
        counts.len(),
        counts.first().copied().unwrap_or(0)
    );
    if let Some((d, n)) = busiest {
        let _ = write!(desc, "最多的一天是 {} 天后，{n} 个。", d);
    }
    let day = |i: usize| {
        if i == 0 {
            "今天".to_string()
        } else {
            format!("{i} 天后")
        }
    };
    // A label a week apart: "7 天后" needs the room that "+5" did not.
    let labels = (0..counts.len())
        .filter(|i| i % 7 == 0)
        .map(|i| (i, day(i)))
        .collect();
    bars(Bars {
        id: "forecast",
        title: "未来 30 天到期的概念数",
        desc,
        values: counts.iter().map(|n| Some(*n as f64)).collect(),
        max,
        labels,
        rows: counts
            .iter()
            .enumerate()
            .map(|(i, n)| (day(i), format!("{n} 个")))
            .collect(),
        head: ["哪一天", "到期的概念"],
        target: None,
        percent: false,
    })
}

/// Accuracy per week; weeks without answers are drawn as empty.
pub fn weekly_accuracy(weeks: &[(i64, Tally)]) -> String {
    let with_data: Vec<f64> = weeks.iter().filter_map(|(_, t)| t.rate()).collect();
    let desc = if with_data.is_empty() {
        "还没有答题记录。".to_string()
    } else {
        let last = weeks.last().and_then(|(_, t)| t.rate());
        format!(
            "最近 {} 周里有 {} 周答过题，平均正确率 {:.0}%{}。",
            weeks.len(),
            with_data.len(),
            with_data.iter().sum::<f64>() / with_data.len() as f64 * 100.0,
            last.map(|r| format!("，本周 {:.0}%", r * 100.0))
                .unwrap_or_else(|| "，本周还没有答题".into())
        )
    };
    let labels = weeks
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 == 0 || *i == weeks.len() - 1)
        .map(|(i, (d, _))| (i, date_of(*d).format("%-m/%-d").to_string()))
        .collect();
    bars(Bars {
        id: "accuracy",
        title: "每周正确率",
        desc,
        values: weeks.iter().map(|(_, t)| t.rate()).collect(),
        max: 1.0,
        labels,
        rows: weeks
            .iter()
            .map(|(d, t)| {
                let week = format!("{}起的一周", date_of(*d).format("%-m月%-d日"));
                let value = match t.rate() {
                    Some(r) => format!("{}/{} 题正确（{:.0}%）", t.correct, t.total, r * 100.0),
                    None => "没有答题".to_string(),
                };
                (week, value)
            })
            .collect(),
        head: ["哪一周", "正确率"],
        target: None,
        percent: true,
    })
}

/// True retention by interval, beside the target retention.
pub fn retention(buckets: &[Tally; 4], target: f64) -> String {
    let rows: Vec<(String, String)> = INTERVAL_BUCKETS
        .iter()
        .zip(buckets)
        .map(|(l, t)| {
            let value = match t.rate() {
                Some(r) => format!("{:.0}%（{}/{}）", r * 100.0, t.correct, t.total),
                None => "暂无".to_string(),
            };
            (format!("间隔 {l}"), value)
        })
        .collect();
    let parts: Vec<String> = rows.iter().map(|(k, v)| format!("{k}：{v}")).collect();
    let desc = format!("目标保持率 {:.0}%。{}", target * 100.0, parts.join("；"));
    bars(Bars {
        id: "retention",
        title: "实际记忆保持率（按复习间隔）",
        desc,
        values: buckets.iter().map(Tally::rate).collect(),
        max: 1.0,
        labels: INTERVAL_BUCKETS
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.to_string()))
            .collect(),
        rows,
        head: ["距上次复习", "还记得的比例"],
        target: Some(target),
        percent: true,
    })
}

/// One line of a line chart: a name for the legend and its (x, y) points, x ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A line chart: one or more lines over a shared x axis.
pub struct LineChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub lines: &'a [Line],
    /// Top of the y axis; `None` rounds the largest value up.
    pub y_max: Option<f64>,
    /// The y axis as percentages of 1.
    pub percent: bool,
    /// The y axis's unit, written above it ("分钟/天").
    pub y_unit: Option<&'a str>,
    pub x_fmt: fn(f64) -> String,
    pub y_fmt: fn(f64) -> String,
    /// A vertical line at this x, labelled (the current setting, say).
    pub marker: Option<(f64, String)>,
    /// Column heads of the data table under the chart; `None` draws no table (a file).
    pub table: Option<[&'a str; 2]>,
}

const LINES_H: f64 = 150.0;
/// Dash patterns per line, so the lines differ without colour too.
const DASHES: [&str; 6] = ["", "7 3", "2 3", "9 3 2 3", "1 4", "4 4"];

/// Where a line chart's values land: the x range of its points and the top of its y axis.
struct Frame {
    x0: f64,
    x1: f64,
    max: f64,
}

impl Frame {
    fn of(c: &LineChart) -> Frame {
        let xs = c.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
        // The points' own range: a retention axis spans 0.80–0.97, less than one unit. Only a
        // single x (no range at all) gets one unit, so a lone day is drawn at all.
        let (x0, x1) = if x0 < x1 {
            (x0, x1)
        } else if x0 == x1 {
            (x0, x0 + 1.0)
        } else {
            (0.0, 1.0)
        };
        let top = c.lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
        let max = c
            .y_max
            .unwrap_or_else(|| nice_ceiling(top.fold(0.0, f64::max)))
            .max(f64::MIN_POSITIVE);
        Frame { x0, x1, max }
    }

    fn x_at(&self, x: f64) -> f64 {
        let right = BARS_W - 8.0;
        BARS_LEFT + (x - self.x0) / (self.x1 - self.x0) * (right - BARS_LEFT)
    }

    fn y_at(&self, y: f64) -> f64 {
        BARS_TOP + LINES_H - (y / self.max).clamp(0.0, 1.0) * LINES_H
    }
}

/// A line chart's SVG and its height.
fn line_svg(c: &LineChart) -> (String, f64) {
    let legend = c.lines.len() > 1;
    let legend_rows = if legend { c.lines.len() } else { 0 };
    let h = BARS_TOP + LINES_H + 28.0 + 17.0 * legend_rows as f64;
    let mut s = open(c.id, BARS_W as u32, h as u32, c.title, c.desc);
    let f = Frame::of(c);
    bars_grid(&mut s, f.max, c.percent);
    if let Some(unit) = c.y_unit {
        let _ = write!(s, r#"<text class="axis" x="0" y="11">{}</text>"#, esc(unit));
    }
    for i in 0..5 {
        let x = f.x0 + (f.x1 - f.x0) * f64::from(i) / 4.0;
        let anchor = match i {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            f.x_at(x),
            BARS_TOP + LINES_H + 18.0,
            esc(&(c.x_fmt)(x))
        );
    }
    if let Some((x, label)) = &c.marker {
        line_marker(&mut s, f.x_at(*x), label);
    }
    for (i, l) in c.lines.iter().enumerate() {
        draw_line(&mut s, &f, i, l, legend);
    }
    s.push_str("</svg>");
    (s, h)
}

/// The vertical target line at `mx`, with a halo that keeps it visible over the lines, and its
/// label on the side with room.
fn line_marker(s: &mut String, mx: f64, label: &str) {
    let right_half = mx > BARS_W / 2.0;
    let anchor = if right_half { "end" } else { "start" };
    let tx = if right_half { mx - 4.0 } else { mx + 4.0 };
    let _ = write!(
        s,
        r#"<line class="target-halo" x1="{mx:.1}" x2="{mx:.1}" y1="{BARS_TOP}" y2="{:.1}"/><line class="target" x1="{mx:.1}" x2="{mx:.1}" y1="{BARS_TOP}" y2="{:.1}"/><text class="target-label" x="{tx:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
        BARS_TOP + LINES_H,
        BARS_TOP + LINES_H,
        BARS_TOP + 12.0,
        esc(label)
    );
}

/// Line `i`: its polyline (dashed by index, so lines differ without colour), dots where a lone
/// line or a single point needs them, and its legend row when there are several lines.
fn draw_line(s: &mut String, f: &Frame, i: usize, l: &Line, legend: bool) {
    let pts: Vec<String> = l
        .points
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .map(|(x, y)| format!("{:.1},{:.1}", f.x_at(*x), f.y_at(*y)))
        .collect();
    let dash = DASHES[i % DASHES.len()];
    let dash = if dash.is_empty() {
        String::new()
    } else {
        format!(r#" stroke-dasharray="{dash}""#)
    };
    let _ = write!(
        s,
        r#"<polyline class="line s{}" fill="none"{dash} points="{}"><title>{}</title></polyline>"#,
        i % DASHES.len(),
        pts.join(" "),
        esc(&l.name)
    );
    if l.points.len() == 1 || !legend {
        for (x, y) in &l.points {
            let _ = write!(
                s,
                r#"<circle class="dot s{}" cx="{:.1}" cy="{:.1}" r="2.5"/>"#,
                i % DASHES.len(),
                f.x_at(*x),
                f.y_at(*y)
            );
        }
    }
    if legend {
        let y = BARS_TOP + LINES_H + 28.0 + 17.0 * i as f64 + 8.0;
        let _ = write!(
            s,
            r#"<line class="line s{}" x1="{BARS_LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}"{dash}/><text class="axis" x="{:.1}" y="{:.1}">{}</text>"#,
            i % DASHES.len(),
            BARS_LEFT + 28.0,
            y - 4.0,
            y - 4.0,
            BARS_LEFT + 34.0,
            y,
            esc(&l.name)
        );
    }
}

/// A round number at or above `v`, for the top of an axis.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 4.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * mag)
}

/// A line chart for a page: the drawing, then its numbers in a table.
pub fn lines(c: &LineChart) -> String {
    let (svg, _) = line_svg(c);
    let mut s = String::from(r#"<div class="chart-wrap">"#);
    s.push_str(&svg);
    s.push_str("</div>");
    if let Some(head) = c.table {
        let mut xs: Vec<f64> = c
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let rows: Vec<(String, String)> = xs
            .iter()
            .map(|x| {
                let values: Vec<String> = c
                    .lines
                    .iter()
                    .filter_map(|l| {
                        let (_, y) = l.points.iter().find(|p| p.0 == *x)?;
                        Some(if c.lines.len() > 1 {
                            format!("{} {}", l.name, (c.y_fmt)(*y))
                        } else {
                            (c.y_fmt)(*y)
                        })
                    })
                    .collect();
                ((c.x_fmt)(*x), values.join("；"))
            })
            .collect();
        s.push_str(&data_table(c.title, head, &rows));
    }
    s
}

/// Line charts stacked in one SVG file, with their colours inline (a file has no style sheet).
pub fn standalone(charts: &[LineChart]) -> String {
    let mut body = String::new();
    let mut y = 0.0;
    for c in charts {
        let (svg, h) = line_svg(c);
        let _ = write!(body, r#"<g transform="translate(0,{y:.0})">{svg}</g>"#);
        y += h + 16.0;
    }
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{y:.0}" viewBox="0 0 {w} {y:.0}"><style>text{{font:13px sans-serif;fill:#444}}.grid{{stroke:#ddd}}.line{{fill:none;stroke-width:2}}.s0{{stroke:#1d4ed8;fill:#1d4ed8}}.s1{{stroke:#c2410c;fill:#c2410c}}.s2{{stroke:#15803d;fill:#15803d}}.s3{{stroke:#7e22ce;fill:#7e22ce}}.s4{{stroke:#444;fill:#444}}.s5{{stroke:#b45309;fill:#b45309}}polyline.line,line.line{{fill:none}}.target{{stroke:#111;stroke-dasharray:6 4}}.target-halo{{stroke:#fff;stroke-width:5}}</style><rect width="100%" height="100%" fill="#fff"/>{body}</svg>
"##,
        w = BARS_W
    )
}

/// The chart's point in her terms: "目标从 90% 提到 95%，每天大约多花 0.4 分钟". Five points up
/// from her target (down from it at the top of the range). `points` are (retention 0–1,
/// minutes a day), as for [`workload`].
pub fn workload_sentence(points: &[(f64, f64)], current: f64) -> Option<String> {
    let at = |r: f64| points.iter().find(|p| (p.0 - r).abs() < 0.001).map(|p| p.1);
    let from = (current * 100.0).round();
    let to = if from + 5.0 <= 97.0 {
        from + 5.0
    } else {
        from - 5.0
    };
    let (a, b) = (at(from / 100.0)?, at(to / 100.0)?);
    let diff = (b - a).abs();
    let amount = if diff < 0.05 {
        "几乎不变".to_string()
    } else {
        format!("大约{}花 {diff:.1} 分钟", if b >= a { "多" } else { "少" })
    };
    let verb = if to > from { "提到" } else { "降到" };
    Some(format!("目标从 {from:.0}% {verb} {to:.0}%，每天{amount}。"))
}

/// Expected minutes of study a day against desired retention (/settings), her current target
/// marked. `points` are (retention 0–1, minutes).
pub fn workload(points: &[(f64, f64)], current: f64) -> String {
    let at = |r: f64| {
        points
            .iter()
            .min_by(|a, b| (a.0 - r).abs().total_cmp(&(b.0 - r).abs()))
            .map(|p| p.1)
    };
    let mut desc = String::from(
        "横轴是目标记忆保持率（80%–97%），纵轴是每天大约要花的复习分钟数（分钟/天）。",
    );
    if let (Some(low), Some(now), Some(high)) = (at(0.8), at(current), at(0.97)) {
        let _ = write!(
            desc,
            "目标 80% 时每天约 {low:.1} 分钟；你现在的 {:.0}% 约 {now:.1} 分钟；97% 约 {high:.1} 分钟。",
            current * 100.0
        );
    }
    let line = [Line {
        name: "每天大约要花的分钟数".into(),
        points: points.to_vec(),
    }];
    lines(&LineChart {
        id: "workload",
        title: "目标保持率和每天的复习时间",
        desc: &desc,
        lines: &line,
        y_max: None,
        percent: false,
        y_unit: Some("分钟/天"),
        x_fmt: |x| format!("{:.0}%", x * 100.0),
        y_fmt: |y| format!("约 {y:.1} 分钟/天"),
        marker: Some((current, format!("现在 {:.0}%", current * 100.0))),
        table: Some(["目标保持率", "每天大约要花"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_have_a_title_and_a_description() {
        let t = Tally {
            total: 4,
            correct: 3,
        };
        for svg in [
            heatmap(&[(20_000, 0), (20_001, 3)], &Prefs::default()),
            forecast(&[1, 0, 2]),
            weekly_accuracy(&[(20_000, t)]),
            retention(&[t; 4], 0.9),
        ] {
            assert!(svg.starts_with("<div class=\"chart-wrap"), "{svg}");
            assert!(svg.contains("<svg class=\"chart\""));
            assert!(svg.contains("<title id="));
            assert!(svg.contains("<desc id="));
            // The numbers are also in a table that needs no hover.
            assert!(svg.contains("<details class=\"chart-data\"><summary>数据表"));
            assert!(svg.ends_with("</table></details>"));
        }
    }

    #[test]
    fn empty_data_draws_without_dividing_by_zero() {
        let empty = Tally {
            total: 0,
            correct: 0,
        };
        let r = retention(&[empty; 4], 0.9);
        assert!(!r.contains("NaN") && !r.contains("inf"));
        assert!(r.contains("暂无"));
        let f = forecast(&[0; 30]);
        assert!(!f.contains("NaN"));
        let w = weekly_accuracy(&[(20_000, empty); 12]);
        assert!(w.contains("还没有答题记录"));
        assert_eq!(heatmap(&[], &Prefs::default()), "");
    }

    #[test]
    fn charts_are_drawn_about_as_wide_as_a_phone_column() {
        // 13-unit text must not shrink below 11 px in a 358 px column.
        for svg in [
            forecast(&[1; 30]),
            retention(
                &[Tally {
                    total: 0,
                    correct: 0,
                }; 4],
                0.9,
            ),
        ] {
            let w: f64 = svg
                .split("viewBox=\"0 0 ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|w| w.parse().ok())
                .unwrap_or(f64::MAX);
            assert!(13.0 * 358.0 / w >= 11.0, "viewBox width {w}");
        }
        assert!(forecast(&[1; 30]).contains("7 天后"));
        assert!(retention(
            &[Tally {
                total: 0,
                correct: 0
            }; 4],
            0.9
        )
        .contains("目标 90%"));
    }

    /// Minutes a day rising evenly with the target, 80% to 97%.
    fn even_points() -> Vec<(f64, f64)> {
        (80..=97)
            .map(|p| (f64::from(p) / 100.0, f64::from(p - 70) / 4.0))
            .collect()
    }

    #[test]
    fn workload_chart_marks_the_current_target_and_lists_every_point() {
        let points = even_points();
        let svg = workload(&points, 0.9);
        assert!(svg.starts_with("<div class=\"chart-wrap\">"));
        assert!(svg.contains("<polyline") && svg.contains("现在 90%"));
        assert!(svg.contains("你现在的 90% 约 5.0 分钟"));
        assert!(svg.contains("<th scope=\"row\">97%</th><td>约 6.8 分钟/天</td>"));
        assert!(svg.contains(">分钟/天</text>"), "the y axis says its unit");
        assert!(svg.ends_with("</table></details>"));
        // Drawn about as wide as a phone column, like the other charts.
        assert!(svg.contains("viewBox=\"0 0 360 "));
        assert!(!workload(&[], 0.9).contains("NaN"));
    }

    /// B4: a retention axis (0.80–0.97) was stretched to one unit, 80%–180%, the curve squeezed
    /// into its left fifth. The axis is the points' own range.
    #[test]
    fn b4_workload_axis_runs_80_to_97_percent() {
        let svg = workload(&even_points(), 0.9);
        let ticks: Vec<&str> = svg
            .split("<text class=\"axis\"")
            .filter_map(|t| t.split('>').nth(1)?.split('<').next())
            .filter(|t| t.ends_with('%'))
            .collect();
        assert_eq!(ticks.first(), Some(&"80%"), "{ticks:?}");
        assert_eq!(ticks.last(), Some(&"97%"), "{ticks:?}");
        assert!(!svg.contains("180%") && !svg.contains("105%"), "{ticks:?}");
    }

    #[test]
    fn the_workload_sentence_says_the_cost_of_five_more_points() {
        let points = even_points();
        assert_eq!(
            workload_sentence(&points, 0.9).as_deref(),
            Some("目标从 90% 提到 95%，每天大约多花 1.2 分钟。")
        );
        assert_eq!(
            workload_sentence(&points, 0.95).as_deref(),
            Some("目标从 95% 降到 90%，每天大约少花 1.2 分钟。")
        );
        assert_eq!(workload_sentence(&[], 0.9), None);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn heatmap_levels_follow_the_counts() {
        let svg = heatmap(
            &[
                (20_000, 0),
                (20_001, 1),
                (20_002, 4),
                (20_003, 8),
                (20_004, 30),
            ],
            &Prefs::default(),
        );
        for level in 0..5 {
            assert!(svg.contains(&format!("class=\"h{level}\"")), "h{level}");
        }
        assert!(svg.contains("30 题"));
    }
}
