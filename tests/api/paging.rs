//! Every paged list refuses a page or a page size out of range, naming the parameter, and its
//! OpenAPI parameters carry the same limits.

use health_checkin::routes::paging::{Limits, MAX_PAGE, PEOPLE, REPORT_LISTS};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

const LISTS: [(&str, &str, Limits); 4] = [
    ("/api/v1/employees", "employees", PEOPLE),
    ("/api/v1/audit", "entries", PEOPLE),
    ("/api/v1/reports/unreported", "people", REPORT_LISTS),
    ("/api/v1/reports/abnormal", "people", REPORT_LISTS),
];

#[tokio::test]
async fn pages_and_page_sizes_out_of_range_are_refused_by_name() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;

    for (path, items, limits) in LISTS {
        let refused = [
            (format!("page={}", i64::MAX), "page"),
            ("page=99999999999999999999".to_string(), "page"),
            (format!("page={}", MAX_PAGE + 1), "page"),
            ("page=0".to_string(), "page"),
            ("page=-1".to_string(), "page"),
            (format!("per_page={}", limits.max + 1), "per_page"),
            (format!("per_page={}", i64::MAX), "per_page"),
            ("per_page=0".to_string(), "per_page"),
        ];
        for (query, field) in refused {
            let r = app.get(&format!("{path}?{query}"), &token).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}?{query}: {}",
                r.body
            );
            assert_eq!(r.code(), "validation_failed");
            assert!(r.field(field).is_some(), "{path}?{query}: {}", r.body);
        }

        let malformed = app.get(&format!("{path}?page=first"), &token).await;
        assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "{path}");

        let last = app
            .get(
                &format!("{path}?page={MAX_PAGE}&per_page={}", limits.max),
                &token,
            )
            .await;
        assert_eq!(last.status, StatusCode::OK, "{path}: {}", last.body);
        assert_eq!(last.body["page"], MAX_PAGE);
        assert_eq!(last.body["per_page"], limits.max);
        assert_eq!(last.body[items], Value::Array(Vec::new()));
    }
}

#[tokio::test]
async fn the_openapi_document_gives_the_enforced_paging_limits() {
    let app = spawn_app().await;
    let doc = app
        .send(app.client.get(app.url("/api/v1/openapi.json")))
        .await
        .body;
    for (path, _, limits) in LISTS {
        let params = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has parameters"));
        for (name, max) in [("page", MAX_PAGE), ("per_page", limits.max)] {
            let param = params
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{path} documents {name}"));
            assert_eq!(param["in"], "query", "{path} {name}");
            assert_eq!(param["schema"]["minimum"], 1, "{path} {name}");
            assert_eq!(param["schema"]["maximum"], max, "{path} {name}");
        }
    }
}
