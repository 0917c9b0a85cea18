//! The SVG charts of the organization in `exports::acme`, parsed as XML.

use reqwest::StatusCode;

use crate::exports::{acme, download, LAB};
use crate::helpers::spawn_app;

const SVG: &str = "http://www.w3.org/2000/svg";

fn parse(bytes: &[u8]) -> (String, roxmltree::Document<'_>) {
    let text = std::str::from_utf8(bytes).expect("UTF-8").to_string();
    let doc = roxmltree::Document::parse(std::str::from_utf8(bytes).unwrap())
        .unwrap_or_else(|e| panic!("not XML ({e}): {text}"));
    (text, doc)
}

fn with_class<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    tag: &'a str,
    class: &'a str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.has_tag_name((SVG, tag)) && n.attribute("class") == Some(class))
        .collect()
}

/// All the text a person reads on the chart.
fn texts(doc: &roxmltree::Document<'_>) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name((SVG, "text")))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn the_trend_chart_has_a_bar_per_day_and_a_point_per_day_with_people_expected() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    let r = download(
        &app,
        "/api/v1/reports/trend.svg?from=2020-02-03&to=2020-02-05&lang=en",
        &acme.hr,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "image/svg+xml");
    let (_, doc) = parse(&r.bytes);
    let root = doc.root_element();
    assert!(root.has_tag_name((SVG, "svg")));
    let days: Vec<_> = with_class(&doc, "g", "day")
        .iter()
        .map(|g| g.attribute("data-date").unwrap().to_string())
        .collect();
    assert_eq!(days, ["2020-02-03", "2020-02-04", "2020-02-05"]);
    let bars: Vec<_> = with_class(&doc, "rect", "abnormal")
        .iter()
        .map(|b| b.attribute("data-value").unwrap().to_string())
        .collect();
    assert_eq!(bars, ["1", "0", "0"], "B had a fever on Monday");
    let points: Vec<_> = with_class(&doc, "circle", "reported")
        .iter()
        .map(|p| p.attribute("data-value").unwrap().to_string())
        .collect();
    assert_eq!(
        points,
        ["62.5", "33.3"],
        "5 of 8 on Monday, nobody expected on the holiday, 2 of 6 on Wednesday"
    );
    let labels = texts(&doc);
    for label in [
        "Check-ins per day",
        "Reported (%)",
        "Abnormal",
        "100%",
        "02-03",
    ] {
        assert!(labels.iter().any(|t| t == label), "{label} in {labels:?}");
    }

    // The same numbers as the trend report.
    let trend = app
        .get(
            "/api/v1/reports/trend?from=2020-02-03&to=2020-02-05",
            &acme.hr,
        )
        .await;
    assert_eq!(
        trend.status,
        StatusCode::OK,
        "the JSON route is still there"
    );
    assert_eq!(trend.body["days"][0]["abnormal"], 1);

    // One department: its name, escaped, is in the subtitle.
    let lab = download(
        &app,
        &format!(
            "/api/v1/reports/trend.svg?from=2020-02-03&to=2020-02-05&department_id={}",
            acme.lab
        ),
        &acme.hr,
    )
    .await;
    let (raw, doc) = parse(&lab.bytes);
    assert!(raw.contains("R&amp;D &lt;Lab&gt;"));
    assert!(!raw.contains(LAB));
    assert!(texts(&doc)
        .iter()
        .any(|t| t == &format!("2020-02-03 – 2020-02-05 · {LAB}")));
    assert_eq!(with_class(&doc, "circle", "reported").len(), 2);
}

#[tokio::test]
async fn the_daily_chart_has_a_bar_per_department() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    let bars_of = |bytes: &[u8]| -> Vec<(String, String, String)> {
        let (_, doc) = parse(bytes);
        assert!(doc.root_element().has_tag_name((SVG, "svg")));
        with_class(&doc, "g", "bar")
            .iter()
            .map(|g| {
                let label = g
                    .descendants()
                    .find(|n| n.attribute("class") == Some("label"))
                    .and_then(|n| n.text())
                    .unwrap_or("")
                    .to_string();
                let numbers = format!(
                    "{}/{}",
                    g.attribute("data-reported").unwrap(),
                    g.attribute("data-expected").unwrap()
                );
                (g.attribute("data-id").unwrap().to_string(), label, numbers)
            })
            .collect()
    };
    let bar = |id: &str, label: &str, numbers: &str| {
        (id.to_string(), label.to_string(), numbers.to_string())
    };

    // The top departments, and the people in none of them.
    let top = download(
        &app,
        "/api/v1/reports/daily.svg?date=2020-02-03&lang=en",
        &acme.hr,
    )
    .await;
    assert_eq!(top.status, StatusCode::OK);
    assert_eq!(top.content_type, "image/svg+xml");
    assert_eq!(
        bars_of(&top.bytes),
        vec![
            bar(&acme.ops, "Ops", "1/1"),
            bar(&acme.lab, LAB, "1/1"),
            bar(&acme.sales, "Sales", "3/3"),
            bar("", "No department", "0/3"),
        ]
    );
    let raw = String::from_utf8(top.bytes.clone()).unwrap();
    assert!(raw.contains(">R&amp;D &lt;Lab&gt;</text>"), "{raw}");

    // A department's children; the numbers are the daily report's.
    let sales = download(
        &app,
        &format!(
            "/api/v1/reports/daily.svg?date=2020-02-03&lang=en&department_id={}",
            acme.sales
        ),
        &acme.hr,
    )
    .await;
    assert_eq!(
        bars_of(&sales.bytes),
        vec![
            bar(&acme.east, "East", "2/2"),
            bar(&acme.west, "West", "1/1")
        ]
    );
    let daily = app
        .get("/api/v1/reports/daily?date=2020-02-03", &acme.hr)
        .await;
    assert_eq!(
        daily.status,
        StatusCode::OK,
        "the JSON route is still there"
    );
    assert_eq!(daily.body["expected"], 8);

    // A department without children is a bar of its own.
    let east = download(
        &app,
        &format!(
            "/api/v1/reports/daily.svg?date=2020-02-05&lang=en&department_id={}",
            acme.east
        ),
        &acme.hr,
    )
    .await;
    assert_eq!(bars_of(&east.bytes), vec![bar(&acme.east, "East", "1/1")]);

    // The manager's top department is Sales.
    let managed = download(
        &app,
        "/api/v1/reports/daily.svg?date=2020-02-05&lang=en",
        &acme.manager,
    )
    .await;
    assert_eq!(
        bars_of(&managed.bytes),
        vec![bar(&acme.sales, "Sales", "2/2")]
    );
}

#[tokio::test]
async fn chart_labels_follow_the_language() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    for (path, wanted) in [
        ("/api/v1/reports/daily.svg?lang=zh-CN", "各部门填报情况"),
        (
            "/api/v1/reports/daily.svg?lang=en",
            "Check-ins by department",
        ),
        ("/api/v1/reports/trend.svg?lang=zh-cn", "填报率（%）"),
        ("/api/v1/reports/trend.svg?lang=en", "Reported (%)"),
        // Nobody chose a language: the organization's (zh-CN by default).
        ("/api/v1/reports/trend.svg", "异常人数"),
    ] {
        let r = download(&app, path, &acme.hr).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let (_, doc) = parse(&r.bytes);
        let labels = texts(&doc);
        assert!(labels.iter().any(|t| t == wanted), "{path}: {labels:?}");
    }
    let zh = download(&app, "/api/v1/reports/daily.svg?lang=zh-CN", &acme.hr).await;
    let (_, doc) = parse(&zh.bytes);
    assert_eq!(doc.root_element().attribute("lang"), Some("zh-CN"));
    assert!(texts(&doc).iter().any(|t| t == "无部门"));

    // The organization's language changes the default.
    let r = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/organization",
            &acme.admin_token,
            Some(&serde_json::json!({"locale": "en"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let en = download(&app, "/api/v1/reports/trend.svg", &acme.hr).await;
    assert!(texts(&parse(&en.bytes).1).iter().any(|t| t == "Abnormal"));

    let bad = app.get("/api/v1/reports/trend.svg?lang=fr", &acme.hr).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field("lang").is_some());
}

#[tokio::test]
async fn charts_are_scoped_and_checked_like_the_reports() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    for (path, token, status) in [
        (
            "/api/v1/reports/trend.svg".to_string(),
            &acme.a,
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/reports/daily.svg".to_string(),
            &acme.a,
            StatusCode::FORBIDDEN,
        ),
        (
            format!("/api/v1/reports/daily.svg?department_id={}", acme.ops),
            &acme.manager,
            StatusCode::FORBIDDEN,
        ),
        (
            format!("/api/v1/reports/trend.svg?department_id={}", acme.lab),
            &acme.manager,
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/reports/trend.svg?from=2020-02-05&to=2020-02-03".to_string(),
            &acme.hr,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/reports/trend.svg?to=2020-02-06".to_string(),
            &acme.hr,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/reports/daily.svg?date=2020-02-06".to_string(),
            &acme.hr,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/reports/daily.svg?department_id=nope".to_string(),
            &acme.hr,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = app.get(&path, token).await;
        assert_eq!(r.status, status, "{path}: {:?}", r.body);
    }
    let post = app
        .call(
            reqwest::Method::POST,
            "/api/v1/reports/trend.svg",
            &acme.hr,
            None,
        )
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_chart_language_not_offered_names_the_choices() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    for path in [
        "/api/v1/reports/trend.svg?lang=fr",
        "/api/v1/reports/daily.svg?lang=de",
        "/api/v1/reports/daily.svg?lang=%20en",
        "/api/v1/reports/trend.svg?lang=zh",
    ] {
        let r = app.get(path, &token).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(r.field("lang"), Some("must be one of zh-CN, en"), "{path}");
        assert_eq!(
            r.body["error"]["details"],
            serde_json::json!([{
                "field": "lang",
                "code": "not_a_choice",
                "params": {"choices": ["zh-CN", "en"]},
                "message": "must be one of zh-CN, en",
            }]),
            "{path}"
        );
    }
}

/// Drawn at the width a phone shows it, a chart keeps everything inside that width, and a
/// width it cannot be drawn at is named.
#[tokio::test]
async fn a_chart_is_drawn_at_the_width_asked_for() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    let number = |n: roxmltree::Node<'_, '_>, attr: &str| -> f64 {
        n.attribute(attr).unwrap_or("0").parse().unwrap()
    };
    for path in [
        "/api/v1/reports/daily.svg?date=2020-02-03&lang=en&width=320",
        "/api/v1/reports/trend.svg?from=2020-01-06&to=2020-02-05&lang=en&width=320",
    ] {
        let r = download(&app, path, &acme.hr).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let (text, doc) = parse(&r.bytes);
        let root = doc.root_element();
        assert_eq!(root.attribute("width"), Some("320"), "{path}");
        assert_eq!(
            root.attribute("viewBox"),
            Some(&*format!("0 0 320 {}", root.attribute("height").unwrap()))
        );
        for rect in doc.descendants().filter(|n| n.has_tag_name((SVG, "rect"))) {
            let right = number(rect, "x") + number(rect, "width");
            assert!(right <= 320.0, "{path}: a rect ends at {right}: {text}");
        }
        // Text that starts left-aligned starts inside, and the legend sits under the
        // subtitle, not over the title.
        for t in doc.descendants().filter(|n| n.has_tag_name((SVG, "text"))) {
            if t.attribute("x").is_some() {
                assert!(
                    number(t, "x") >= 0.0 && number(t, "x") <= 320.0,
                    "{path}: {text}"
                );
            }
        }
        let legend = with_class(&doc, "text", "legend-label");
        assert!(
            legend.iter().all(|t| number(*t, "y") > 50.0),
            "{path}: {text}"
        );
    }
    // The trend labels fewer dates when narrow.
    let wide = download(
        &app,
        "/api/v1/reports/trend.svg?from=2020-01-06&to=2020-02-05&lang=en",
        &acme.hr,
    )
    .await;
    let narrow = download(
        &app,
        "/api/v1/reports/trend.svg?from=2020-01-06&to=2020-02-05&lang=en&width=320",
        &acme.hr,
    )
    .await;
    let dates = |bytes: &[u8]| {
        let (_, doc) = parse(bytes);
        with_class(&doc, "text", "date").len()
    };
    assert!(dates(&narrow.bytes) < dates(&wide.bytes));
    assert!(dates(&narrow.bytes) >= 2);

    for (width, problem) in [
        ("100", "out_of_range"),
        ("1601", "out_of_range"),
        ("-1", "out_of_range"),
        ("wide", "not_a_number"),
    ] {
        let r = app
            .get(
                &format!("/api/v1/reports/daily.svg?width={width}"),
                &acme.hr,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{width}");
        assert_eq!(r.body["error"]["details"][0]["field"], "width", "{width}");
        assert_eq!(r.body["error"]["details"][0]["code"], problem, "{width}");
    }
}
