//! The /timeline chart: the ten papers and the events between them on one vertical time axis,
//! drawn on the server as SVG. Vertical, because a phone column is narrow and tall: time runs
//! down, month labels sit left of the axis and one label per item to its right. Pure: items in,
//! markup out.

use crate::charts::{esc, open as open_svg};
use crate::content::TimelineItem;
use std::fmt::Write;

/// Drawing width in user units, drawn at this size (one unit is one CSS pixel), so it fits the
/// 358 px column of a 390 px phone and its 13-unit text is 13 px.
pub const WIDTH: f64 = 340.0;
/// The axis' x position: month labels are right-aligned before it.
const AXIS_X: f64 = 62.0;
/// The labels start here, after a short leader from the axis.
const LABEL_X: f64 = AXIS_X + 26.0;
const TOP: f64 = 24.0;
/// Pixels per day of the time axis: 19 months are about 580 px, a phone screen or so.
const PX_PER_DAY: f64 = 1.05;
/// The least vertical distance between two labels: 13 px text and a little air.
pub const LABEL_GAP: f64 = 19.0;

/// Where one item is drawn: its mark on the axis at its date, and its label, pushed down below
/// the previous label when two dates are too close for both to be read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub tick_y: f64,
    pub label_y: f64,
}

/// Places items given as day numbers in ascending order. The marks keep the true proportions of
/// time; the labels keep the marks' order, are at least `gap` apart, and are never above their
/// mark, so a leader from mark to label always runs down or level.
pub fn layout(days: &[i64], top: f64, px_per_day: f64, gap: f64) -> Vec<Placed> {
    let Some(&first) = days.first() else {
        return Vec::new();
    };
    let mut out: Vec<Placed> = Vec::with_capacity(days.len());
    for &d in days {
        let tick_y = top + (d - first) as f64 * px_per_day;
        let label_y = match out.last() {
            Some(prev) => tick_y.max(prev.label_y + gap),
            None => tick_y,
        };
        out.push(Placed { tick_y, label_y });
    }
    out
}

/// The first day of every month from `first`'s month to `last`'s, as (day number, year, month).
fn months(first: &TimelineItem, last: &TimelineItem) -> Vec<(i64, u32, u32)> {
    let mut out = Vec::new();
    let (mut y, mut m) = (first.date.year, first.date.month);
    while (y, m) <= (last.date.year, last.date.month) {
        let d = crate::content::TimelineDate {
            year: y,
            month: m,
            day: Some(1),
        };
        out.push((d.day_number(), y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// The short date shown after a label: `3月29日`, or `3月` when only the month is known.
fn short_date(it: &TimelineItem) -> String {
    match it.date.day {
        Some(d) => format!("{}月{d}日", it.date.month),
        None => format!("{}月", it.date.month),
    }
}

/// What the chart shows, in words, for its `<desc>`.
fn describe(items: &[TimelineItem]) -> String {
    let papers = items.iter().filter(|i| i.paper.is_some()).count();
    let events = items.len() - papers;
    let order: Vec<String> = items
        .iter()
        .map(|i| format!("{} {}", i.date.label(), i.title))
        .collect();
    format!(
        "{papers} 篇论文（arXiv 第一版）与 {events} 件大事按时间自上而下排列：{}。",
        order.join("；")
    )
}

/// The timeline as inline SVG; an empty string when there is nothing to draw.
pub fn svg(items: &[TimelineItem]) -> String {
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return String::new();
    };
    // The axis starts at the first month's first day, so the first item is not on the edge.
    let month_marks = months(first, last);
    let origin = month_marks.first().map_or(0, |m| m.0);
    let mut days = vec![origin];
    days.extend(items.iter().map(|i| i.date.day_number()));
    let placed = layout(&days, TOP, PX_PER_DAY, LABEL_GAP);
    let bottom = placed.last().map_or(TOP, |p| p.label_y.max(p.tick_y)) + 16.0;
    let h = bottom.ceil() as u32;
    let title = "十篇论文的时间线";
    let mut s = String::from(r#"<div class="chart-wrap timeline">"#);
    s.push_str(&open_svg(
        "timeline",
        WIDTH as u32,
        h,
        title,
        &describe(items),
    ));
    let _ = write!(
        s,
        r#"<line class="tl-axis" x1="{AXIS_X}" y1="{TOP}" x2="{AXIS_X}" y2="{}"/>"#,
        bottom - 8.0
    );
    month_ticks(&mut s, &month_marks, origin);
    item_marks(&mut s, items, &placed);
    s.push_str("</svg></div>");
    s
}

/// The month ticks and labels on the axis; `origin` is the day at the top.
fn month_ticks(s: &mut String, month_marks: &[(i64, u32, u32)], origin: i64) {
    for (day, year, month) in month_marks {
        let y = TOP + (day - origin) as f64 * PX_PER_DAY;
        let _ = write!(
            s,
            r#"<line class="grid" x1="{}" y1="{y:.1}" x2="{AXIS_X}" y2="{y:.1}"/>"#,
            AXIS_X - 5.0
        );
        // A year is named at its January and at the first month drawn; other months by number.
        let text = if *month == 1 || *day == origin {
            format!("{year}年{month}月")
        } else {
            format!("{month}月")
        };
        let _ = write!(
            s,
            r#"<text class="axis" x="{}" y="{:.1}" text-anchor="end">{text}</text>"#,
            AXIS_X - 8.0,
            y + 4.5
        );
    }
}

/// Each item's mark on the axis (a dot for a paper, a diamond for an event), its leader line and
/// its label; `placed[0]` is the axis origin.
fn item_marks(s: &mut String, items: &[TimelineItem], placed: &[Placed]) {
    for (it, p) in items.iter().zip(placed.iter().skip(1)) {
        let kind = if it.paper.is_some() {
            "tl-paper"
        } else {
            "tl-event"
        };
        let _ = write!(
            s,
            r#"<polyline class="tl-leader" points="{AXIS_X},{:.1} {},{:.1} {},{:.1}"/>"#,
            p.tick_y,
            AXIS_X + 12.0,
            p.label_y,
            LABEL_X - 4.0,
            p.label_y
        );
        if it.paper.is_some() {
            let _ = write!(
                s,
                r#"<circle class="{kind}" cx="{AXIS_X}" cy="{:.1}" r="4.5"/>"#,
                p.tick_y
            );
        } else {
            let _ = write!(
                s,
                r#"<rect class="{kind}" x="{}" y="{:.1}" width="8" height="8" transform="rotate(45 {AXIS_X} {:.1})"/>"#,
                AXIS_X - 4.0,
                p.tick_y - 4.0,
                p.tick_y
            );
        }
        let _ = write!(
            s,
            r#"<text class="tl-label {kind}-label" x="{LABEL_X}" y="{:.1}">{} <tspan class="axis">{}</tspan></text>"#,
            p.label_y + 4.5,
            esc(&it.title),
            esc(&short_date(it))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{TimelineDate, TimelineItem};

    fn item(date: &str, title: &str, paper: bool) -> TimelineItem {
        TimelineItem {
            date: TimelineDate::parse(date).expect("date"),
            paper: paper.then(|| title.to_lowercase()),
            title: title.into(),
            text: String::new(),
            source: "s".into(),
        }
    }

    #[test]
    fn marks_keep_time_proportions_and_labels_keep_their_order_and_distance() {
        // Two close dates (a week apart) between two far ones.
        let days = [0, 200, 207, 500];
        let p = layout(&days, 10.0, 1.0, 19.0);
        assert_eq!(p.len(), 4);
        let ticks: Vec<f64> = p.iter().map(|x| x.tick_y).collect();
        assert_eq!(ticks, vec![10.0, 210.0, 217.0, 510.0]);
        for w in p.windows(2) {
            assert!(w[1].label_y - w[0].label_y >= 19.0, "{w:?}");
        }
        for x in &p {
            assert!(x.label_y >= x.tick_y, "label above its mark: {x:?}");
        }
        // A label far from its neighbours stays level with its mark.
        assert_eq!(p[1].label_y, 210.0);
        assert_eq!(p[2].label_y, 229.0);
        assert_eq!(p[3].label_y, 510.0);
    }

    #[test]
    fn a_crowd_of_equal_dates_is_stacked_and_nothing_is_drawn_for_nothing() {
        let p = layout(&[5, 5, 5], 0.0, 2.0, 10.0);
        let labels: Vec<f64> = p.iter().map(|x| x.label_y).collect();
        assert_eq!(labels, vec![0.0, 10.0, 20.0]);
        assert!(p.iter().all(|x| x.tick_y == 0.0));
        assert!(layout(&[], 0.0, 1.0, 10.0).is_empty());
        assert_eq!(svg(&[]), "");
    }

    #[test]
    fn the_chart_is_phone_wide_titled_described_and_escaped() {
        let items = [
            item("2022-01-28", "CoT", true),
            item("2022-11-30", "ChatGPT <发布>", false),
            item("2023-07", "Llama 2", true),
        ];
        let s = svg(&items);
        assert!(s.contains(r#"viewBox="0 0 340 "#), "{s}");
        assert!(s.contains("<title id=\"timeline-t\">十篇论文的时间线</title>"));
        assert!(s.contains("2 篇论文（arXiv 第一版）与 1 件大事"));
        assert!(s.contains("ChatGPT &lt;发布&gt;"));
        assert!(!s.contains("<发布>"));
        assert_eq!(s.matches("<circle").count(), 2);
        assert_eq!(s.matches("class=\"tl-event\"").count(), 1);
        // A month without a day is labelled by its month only; the axis names both years.
        assert!(s.contains("Llama 2 <tspan class=\"axis\">7月</tspan>"));
        assert!(s.contains(">2022年1月<") && s.contains(">2023年1月<"));
        // The labels (not the description, which lists them first) appear in date order.
        let at = |t: &str| s.find(&format!("{t} <tspan")).unwrap_or(usize::MAX);
        assert!(at("CoT") < at("ChatGPT &lt;发布&gt;"));
        assert!(at("ChatGPT &lt;发布&gt;") < at("Llama 2"));
        assert!(at("Llama 2") < usize::MAX);
    }

    #[test]
    fn dates_parse_with_or_without_a_day_and_a_month_sits_at_its_middle() {
        let d = TimelineDate::parse("2022-03-29").expect("day");
        assert_eq!(d.day, Some(29));
        assert_eq!(d.label(), "2022 年 3 月 29 日");
        let m = TimelineDate::parse("2022-03").expect("month");
        assert_eq!(m.label(), "2022 年 3 月");
        assert!(m.day_number() < d.day_number());
        assert_eq!(
            m.day_number(),
            TimelineDate::parse("2022-03-15")
                .map(|x| x.day_number())
                .unwrap_or(0)
        );
        for bad in [
            "2022-13",
            "2022-02-30",
            "2022",
            "22-01-01",
            "2022-01-01-01",
            "x",
        ] {
            assert!(TimelineDate::parse(bad).is_none(), "{bad}");
        }
    }
}
