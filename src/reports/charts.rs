//! Charts drawn on the server as plain SVG: the trend (reported % as a line, abnormal people
//! as bars) and one day per department (reported against expected). Hand-written, so the
//! dashboard, exports and e-mails share them without a plotting dependency. Every text that
//! may come from a person (department names) is escaped.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::markup;

/// The language of a chart's labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    /// `zh-CN` or `en`, any case; anything else is not a chart language.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "zh-cn" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    fn labels(self) -> &'static Labels {
        match self {
            Lang::En => &EN,
            Lang::ZhCn => &ZH_CN,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }
}

struct Labels {
    trend_title: &'static str,
    reported_pct: &'static str,
    abnormal: &'static str,
    daily_title: &'static str,
    reported: &'static str,
    expected: &'static str,
    no_department: &'static str,
    directly: &'static str,
    nothing: &'static str,
    nobody_expected: &'static str,
}

const EN: Labels = Labels {
    trend_title: "Check-ins per day",
    reported_pct: "Reported (%)",
    abnormal: "Abnormal",
    daily_title: "Check-ins by department",
    reported: "Reported",
    expected: "Expected",
    no_department: "No department",
    directly: "directly",
    nothing: "No departments to show",
    nobody_expected: "nobody expected",
};

const ZH_CN: Labels = Labels {
    trend_title: "每日填报情况",
    reported_pct: "填报率（%）",
    abnormal: "异常人数",
    daily_title: "各部门填报情况",
    reported: "已填报",
    expected: "应填报",
    no_department: "无部门",
    directly: "直属",
    nothing: "没有可显示的部门",
    nobody_expected: "无需填报",
};

/// Text for SVG content and attribute values. Characters XML 1.0 forbids are dropped, so a
/// stray control character cannot break the document.
pub fn escape(text: &str) -> String {
    let allowed: String = text
        .chars()
        .filter(|c| markup::allowed_in_xml(*c))
        .collect();
    markup::escape(&allowed)
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// One day of the trend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrendPoint {
    pub date: NaiveDate,
    pub expected: i64,
    pub reported: i64,
    pub abnormal: i64,
}

/// One department's bar of the daily chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepartmentBar {
    /// The department's id; empty for people without one.
    pub id: String,
    pub name: String,
    /// People directly in the department, beside its sub-departments' bars.
    pub direct: bool,
    pub expected: i64,
    pub reported: i64,
}

/// Maps a value from a domain onto a range of pixels.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl Scale {
    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if d1 == d0 {
            return r0;
        }
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }
}

/// A tick step of 1, 2, 2.5 (from 25 on) or 5 times a power of ten, so that four steps
/// reach at least `max`; the axis then ends at four steps.
pub fn tick_step(max: i64) -> i64 {
    let wanted = (max.max(1) + 3) / 4;
    let mut power = 1i64;
    loop {
        for factor in [10, 20, 25, 50] {
            if factor == 25 && power == 1 {
                continue;
            }
            let step = factor * power / 10;
            if step >= wanted && step > 0 {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// Reported as a share of expected, in percent; `None` when nobody was expected.
pub fn reported_percent(reported: i64, expected: i64) -> Option<f64> {
    (expected > 0).then(|| (reported as f64 / expected as f64 * 100.0).clamp(0.0, 100.0))
}

fn num(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

const FONT: &str = "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', \
                    'Noto Sans CJK SC', sans-serif";
const BLUE: &str = "#2563eb";
const RED: &str = "#dc2626";
const GREEN: &str = "#16a34a";
const GREY: &str = "#e5e7eb";
const INK: &str = "#111827";
const MUTED: &str = "#6b7280";

/// How wide a chart is drawn unless asked otherwise, and the narrowest and widest it may be.
/// Drawn at the width it is shown at, its 12-unit text is 12 pixels on any screen.
pub const DEFAULT_WIDTH: u32 = 800;
pub const MIN_WIDTH: u32 = 320;
pub const MAX_WIDTH: u32 = 1600;
/// Below this the legend goes under the subtitle instead of to its right.
const NARROW: f64 = 560.0;
/// Above the plot: the title, the subtitle and the legend.
const TOP: f64 = 72.0;
/// Below the plot: the labels along its axis.
const BOTTOM: f64 = 40.0;

/// The trend's own layout.
const TREND_HEIGHT: f64 = 360.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 56.0;
/// Room a date label along the bottom takes: ten of them on a chart of the default width.
const DATE_LABEL_SPACING: f64 = 68.0;

/// The daily chart's own layout: a row per department, its name left of its bar and its
/// numbers right of it.
const ROW_HEIGHT: f64 = 28.0;
const VALUE_ROOM: f64 = 120.0;

/// Where a legend starts, and the baseline of its words: right of the title on a wide chart,
/// under the subtitle on a narrow one.
fn legend_at(width: f64, wide_x: f64, narrow_x: f64) -> (f64, f64) {
    if width >= NARROW {
        (wide_x, 42.0)
    } else {
        (narrow_x, 62.0)
    }
}

fn open_svg(out: &mut String, width: f64, height: f64, lang: Lang, title: &str) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" lang="{lang}" font-family="{font}" font-size="12" fill="{INK}" role="img" aria-label="{title}"><title>{title}</title><rect class="background" x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##,
        w = num(width),
        h = num(height),
        lang = lang.code(),
        font = escape(FONT),
        title = escape(title),
    );
}

fn text(out: &mut String, x: f64, y: f64, anchor: &str, class: &str, content: &str) {
    let _ = write!(
        out,
        r#"<text class="{class}" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
        num(x),
        num(y),
        escape(content)
    );
}

/// Under the trend's title: the range, and the department when one was chosen.
pub fn trend_subtitle(from: NaiveDate, to: NaiveDate, department: Option<&str>) -> String {
    let mut out = format!("{from} – {to}");
    if let Some(d) = department {
        let _ = write!(out, " · {d}");
    }
    out
}

/// Under the daily chart's title: the day, the department when one was chosen, the totals.
pub fn daily_subtitle(
    date: NaiveDate,
    department: Option<&str>,
    reported: i64,
    expected: i64,
    lang: Lang,
) -> String {
    let l = lang.labels();
    let mut out = date.to_string();
    if let Some(d) = department {
        let _ = write!(out, " · {d}");
    }
    let _ = write!(
        out,
        " · {} {reported} / {} {expected}",
        l.reported, l.expected
    );
    out
}

/// Reported % per day as a line (left axis) and abnormal people per day as bars (right
/// axis). Every day has a bar, even of height zero; days when nobody was expected have no
/// point on the line.
pub fn trend_svg(points: &[TrendPoint], subtitle: &str, lang: Lang, width: u32) -> String {
    let l = lang.labels();
    let width = f64::from(width.clamp(MIN_WIDTH, MAX_WIDTH));
    let mut out = String::with_capacity(2_048 + points.len() * 400);
    open_svg(&mut out, width, TREND_HEIGHT, lang, l.trend_title);
    text(&mut out, LEFT, 24.0, "start", "title", l.trend_title);
    text(&mut out, LEFT, 42.0, "start", "subtitle", subtitle);

    let (lx, ly) = legend_at(width, width - RIGHT - 240.0, LEFT);
    let _ = write!(
        out,
        r#"<g class="legend"><line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="{BLUE}" stroke-width="2"/><circle cx="{xc}" cy="{y}" r="3" fill="{BLUE}"/>"#,
        x0 = num(lx),
        x1 = num(lx + 20.0),
        xc = num(lx + 10.0),
        y = num(ly - 4.0),
    );
    text(
        &mut out,
        lx + 26.0,
        ly,
        "start",
        "legend-label",
        l.reported_pct,
    );
    let _ = write!(
        out,
        r#"<rect x="{}" y="{}" width="12" height="12" fill="{RED}" fill-opacity="0.7"/>"#,
        num(lx + 130.0),
        num(ly - 10.0)
    );
    text(
        &mut out,
        lx + 148.0,
        ly,
        "start",
        "legend-label",
        l.abnormal,
    );
    out.push_str("</g>");

    let (x0, x1) = (LEFT, width - RIGHT);
    let (top, bottom) = (TOP, TREND_HEIGHT - BOTTOM);
    let percent = Scale {
        domain: (0.0, 100.0),
        range: (bottom, top),
    };
    let max_abnormal = points.iter().map(|p| p.abnormal).max().unwrap_or(0);
    let step = tick_step(max_abnormal);
    let count = Scale {
        domain: (0.0, (step * 4) as f64),
        range: (bottom, top),
    };

    // Grid and both axes' ticks.
    out.push_str(r#"<g class="axes">"#);
    for i in 0..=4 {
        let y = percent.map(f64::from(i) * 25.0);
        let _ = write!(
            out,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{GREY}" stroke-width="1"/>"#,
            num(x0),
            num(x1),
            y = num(y)
        );
        text(
            &mut out,
            x0 - 6.0,
            y + 4.0,
            "end",
            "tick",
            &format!("{}%", i * 25),
        );
        text(
            &mut out,
            x1 + 6.0,
            y + 4.0,
            "start",
            "tick",
            &(step * i64::from(i)).to_string(),
        );
    }
    let _ = write!(
        out,
        r#"<line x1="{x0}" y1="{b}" x2="{x1}" y2="{b}" stroke="{MUTED}" stroke-width="1"/>"#,
        x0 = num(x0),
        x1 = num(x1),
        b = num(bottom)
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate(14 {y}) rotate(-90)" text-anchor="middle" fill="{BLUE}">{}</text>"#,
        escape(l.reported_pct),
        y = num((top + bottom) / 2.0)
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate({x} {y}) rotate(90)" text-anchor="middle" fill="{RED}">{}</text>"#,
        escape(l.abnormal),
        x = num(width - 12.0),
        y = num((top + bottom) / 2.0)
    );
    out.push_str("</g>");

    let n = points.len().max(1);
    let band = (x1 - x0) / n as f64;
    let center = |i: usize| x0 + band * (i as f64 + 0.5);
    let bar_width = (band * 0.6).max(1.0);

    // The line first, under the points. It joins the days with people expected and passes
    // over the others (weekends, holidays), which have no point of their own.
    let mut d = String::new();
    for (i, p) in points.iter().enumerate() {
        if let Some(pct) = reported_percent(p.reported, p.expected) {
            let _ = write!(
                d,
                "{}{} {} ",
                if d.is_empty() { "M" } else { "L" },
                num(center(i)),
                num(percent.map(pct))
            );
        }
    }
    let _ = write!(
        out,
        r#"<path class="reported-line" d="{}" fill="none" stroke="{BLUE}" stroke-width="2" stroke-linejoin="round"/>"#,
        d.trim_end()
    );

    let max_labels = (((x1 - x0) / DATE_LABEL_SPACING) as usize).max(2);
    let label_every = points.len().div_ceil(max_labels).max(1);
    out.push_str(r#"<g class="days">"#);
    for (i, p) in points.iter().enumerate() {
        let cx = center(i);
        let pct = reported_percent(p.reported, p.expected);
        let tip = match pct {
            Some(v) => format!(
                "{}: {} {} / {} {} ({}%), {} {}",
                p.date,
                l.reported,
                p.reported,
                l.expected,
                p.expected,
                num(v),
                l.abnormal,
                p.abnormal
            ),
            None => format!(
                "{}: {}, {} {}",
                p.date, l.nobody_expected, l.abnormal, p.abnormal
            ),
        };
        let _ = write!(
            out,
            r#"<g class="day" data-date="{}"><title>{}</title>"#,
            p.date,
            escape(&tip)
        );
        let y = count.map(p.abnormal as f64);
        let _ = write!(
            out,
            r#"<rect class="abnormal" x="{}" y="{}" width="{}" height="{}" fill="{RED}" fill-opacity="0.7" data-value="{}"/>"#,
            num(cx - bar_width / 2.0),
            num(y),
            num(bar_width),
            num(bottom - y),
            p.abnormal
        );
        if let Some(v) = pct {
            let _ = write!(
                out,
                r#"<circle class="reported" cx="{}" cy="{}" r="3" fill="{BLUE}" data-value="{}"/>"#,
                num(cx),
                num(percent.map(v)),
                num(v)
            );
        }
        if i % label_every == 0 {
            text(
                &mut out,
                cx,
                bottom + 16.0,
                "middle",
                "date",
                &p.date.format("%m-%d").to_string(),
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</g></svg>");
    out
}

/// Reported against expected per department, as horizontal bars: the expected bar in grey,
/// the reported bar over it.
pub fn daily_svg(bars: &[DepartmentBar], subtitle: &str, lang: Lang, width: u32) -> String {
    let l = lang.labels();
    let width = f64::from(width.clamp(MIN_WIDTH, MAX_WIDTH));
    // A quarter of the width for the names, at most 200 units; the bars take the rest but
    // the room for the numbers.
    let label_width = (width * 0.25).clamp(90.0, 200.0);
    let bar_area = width - label_width - VALUE_ROOM;
    let label_chars = (label_width / 7.0) as usize;
    let rows = bars.len().max(1) as f64;
    let height = TOP + rows * ROW_HEIGHT + BOTTOM;
    let mut out = String::with_capacity(2_048 + bars.len() * 500);
    open_svg(&mut out, width, height, lang, l.daily_title);
    text(&mut out, 16.0, 24.0, "start", "title", l.daily_title);
    text(&mut out, 16.0, 42.0, "start", "subtitle", subtitle);

    let (lx, ly) = legend_at(width, width - 220.0, 16.0);
    let _ = write!(
        out,
        r#"<g class="legend"><rect x="{}" y="{}" width="12" height="12" fill="{GREY}"/>"#,
        num(lx),
        num(ly - 10.0)
    );
    text(&mut out, lx + 18.0, ly, "start", "legend-label", l.expected);
    let _ = write!(
        out,
        r#"<rect x="{}" y="{}" width="12" height="12" fill="{GREEN}"/>"#,
        num(lx + 100.0),
        num(ly - 10.0)
    );
    text(
        &mut out,
        lx + 118.0,
        ly,
        "start",
        "legend-label",
        l.reported,
    );
    out.push_str("</g>");

    if bars.is_empty() {
        text(
            &mut out,
            width / 2.0,
            TOP + ROW_HEIGHT / 2.0,
            "middle",
            "empty",
            l.nothing,
        );
        out.push_str("</svg>");
        return out;
    }

    let max = bars
        .iter()
        .map(|b| b.expected.max(b.reported))
        .max()
        .unwrap_or(0)
        .max(1);
    let x = Scale {
        domain: (0.0, max as f64),
        range: (label_width, label_width + bar_area),
    };
    out.push_str(r#"<g class="bars">"#);
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + i as f64 * ROW_HEIGHT;
        let name = match (bar.id.is_empty(), bar.direct) {
            (true, _) => l.no_department.to_string(),
            (false, true) => match lang {
                Lang::En => format!("{} ({})", bar.name, l.directly),
                Lang::ZhCn => format!("{}（{}）", bar.name, l.directly),
            },
            (false, false) => bar.name.clone(),
        };
        let value = match reported_percent(bar.reported, bar.expected) {
            Some(p) => format!("{} / {} ({}%)", bar.reported, bar.expected, num(p)),
            None => format!("{} / {}", bar.reported, bar.expected),
        };
        let _ = write!(
            out,
            r#"<g class="bar" data-id="{}" data-expected="{}" data-reported="{}"><title>{}</title>"#,
            escape(&bar.id),
            bar.expected,
            bar.reported,
            escape(&format!(
                "{name}: {} {} / {} {}",
                l.reported, bar.reported, l.expected, bar.expected
            ))
        );
        text(
            &mut out,
            label_width - 8.0,
            y + 18.0,
            "end",
            "label",
            &shorten(&name, label_chars),
        );
        let _ = write!(
            out,
            r#"<rect class="expected" x="{x0}" y="{y}" width="{}" height="18" fill="{GREY}"/><rect class="reported" x="{x0}" y="{y}" width="{}" height="18" fill="{GREEN}"/>"#,
            num(x.map(bar.expected as f64) - label_width),
            num(x.map(bar.reported as f64) - label_width),
            x0 = num(label_width),
            y = num(y + 4.0),
        );
        text(
            &mut out,
            x.map(bar.expected.max(bar.reported) as f64) + 6.0,
            y + 18.0,
            "start",
            "value",
            &value,
        );
        out.push_str("</g>");
    }
    out.push_str("</g>");
    let axis_y = TOP + rows * ROW_HEIGHT + 4.0;
    let _ = write!(
        out,
        r#"<g class="axes"><line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="{MUTED}" stroke-width="1"/>"#,
        x0 = num(label_width),
        x1 = num(label_width + bar_area),
        y = num(axis_y)
    );
    text(&mut out, label_width, axis_y + 16.0, "middle", "tick", "0");
    text(
        &mut out,
        label_width + bar_area,
        axis_y + 16.0,
        "middle",
        "tick",
        &max.to_string(),
    );
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape(r#"R&D <Lab> "x" 'y'"#),
            "R&amp;D &lt;Lab&gt; &quot;x&quot; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{1}b\u{FFFF}c\nd"), "abc\nd");
    }

    #[test]
    fn scales_map_domains_onto_pixels() {
        let s = Scale {
            domain: (0.0, 100.0),
            range: (300.0, 100.0),
        };
        assert_eq!(s.map(0.0), 300.0);
        assert_eq!(s.map(100.0), 100.0);
        assert_eq!(s.map(25.0), 250.0);
        let flat = Scale {
            domain: (5.0, 5.0),
            range: (0.0, 10.0),
        };
        assert_eq!(flat.map(5.0), 0.0);
    }

    #[test]
    fn tick_steps_cover_the_maximum_in_four_round_steps() {
        let cases = [
            (0, 1),
            (1, 1),
            (4, 1),
            (5, 2),
            (8, 2),
            (9, 5),
            (20, 5),
            (21, 10),
            (90, 25),
            (101, 50),
            (1_000, 250),
            (1_001, 500),
        ];
        for (max, step) in cases {
            assert_eq!(tick_step(max), step, "max {max}");
            assert!(tick_step(max) * 4 >= max);
        }
    }

    #[test]
    fn percent_is_undefined_when_nobody_was_expected() {
        assert_eq!(reported_percent(0, 0), None);
        assert_eq!(reported_percent(1, 4), Some(25.0));
        assert_eq!(reported_percent(5, 4), Some(100.0));
        assert_eq!(num(57.142_857), "57.1");
        assert_eq!(num(50.0), "50");
    }

    #[test]
    fn labels_are_cut_by_characters_not_bytes() {
        assert_eq!(shorten("销售部华东区", 4), "销售部…");
        assert_eq!(shorten("Ops", 4), "Ops");
    }

    #[test]
    fn the_trend_draws_a_bar_per_day_and_a_point_per_day_with_people_expected() {
        let day = |d| NaiveDate::from_ymd_opt(2020, 2, d).unwrap();
        let points = [
            TrendPoint {
                date: day(3),
                expected: 4,
                reported: 2,
                abnormal: 1,
            },
            TrendPoint {
                date: day(4),
                expected: 0,
                reported: 0,
                abnormal: 0,
            },
            TrendPoint {
                date: day(5),
                expected: 4,
                reported: 4,
                abnormal: 0,
            },
        ];
        let svg = trend_svg(&points, "Sales <&>", Lang::En, DEFAULT_WIDTH);
        assert_eq!(svg.matches(r#"<rect class="abnormal""#).count(), 3);
        assert_eq!(svg.matches(r#"<circle class="reported""#).count(), 2);
        assert!(svg.contains(r#"d="M170.7 196 L629.3 72""#), "{svg}");
        assert!(svg.contains("Sales &lt;&amp;&gt;"));
        assert!(!svg.contains("Sales <&>"));
    }
}
