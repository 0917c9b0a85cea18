//! Where the features' own errors become HTTP answers, in one place, and the small adapters
//! that hand a handler's caller to the features.

use crate::audit::Reader;
use crate::auth::AuthUser;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::reports::scope::{ReportScope, ScopeError};

impl From<ScopeError> for ApiError {
    fn from(e: ScopeError) -> Self {
        match e {
            ScopeError::OutsideScope => ApiError::Forbidden(e.to_string()),
            ScopeError::UnknownDepartment => ApiError::field("department_id", e.to_string()),
            ScopeError::Db(e) => ApiError::from(e),
        }
    }
}

/// What the caller may read, narrowed to `department_id` when given.
pub fn report_scope(
    conn: &mut DbConn,
    user: &AuthUser,
    department_id: Option<&str>,
) -> Result<ReportScope, ApiError> {
    Ok(ReportScope::resolve(
        conn,
        user.org_id(),
        user.id(),
        user.role,
        department_id,
    )?)
}

/// The caller, as the audit log names a reader.
pub fn reader(user: &AuthUser) -> Reader<'_> {
    Reader {
        org_id: user.org_id(),
        user_id: user.id(),
    }
}
