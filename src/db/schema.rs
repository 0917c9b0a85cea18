// The tables, as the migrations in migrations/{sqlite,postgres}/ create them.

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        timezone -> Text,
        settings -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    departments (id) {
        id -> Text,
        org_id -> Text,
        parent_id -> Nullable<Text>,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    department_managers (department_id, user_id) {
        org_id -> Text,
        department_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    leaves (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        start_date -> Date,
        end_date -> Date,
        kind -> Text,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    membership_history (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        department_id -> Nullable<Text>,
        active -> Bool,
        valid_from -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        org_id -> Text,
        email -> Text,
        name -> Text,
        employee_no -> Nullable<Text>,
        role -> Text,
        department_id -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        token_version -> Integer,
        active -> Bool,
        timezone -> Nullable<Text>,
        locale -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deactivated_at -> Nullable<Timestamp>,
        /// The number of the latest invitation link, and of the latest reset link.
        invitation_link -> Integer,
        reset_link -> Integer,
        /// Set once a deactivated person was erased (never read into `UserRow`).
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    checkins (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        day -> Date,
        department_id -> Nullable<Text>,
        answers -> Text,
        temperature -> Nullable<Double>,
        abnormal -> Bool,
        abnormal_reasons -> Text,
        revision -> Integer,
        reason -> Nullable<Text>,
        submitted_by -> Text,
        submitted_at -> Timestamp,
        updated_at -> Timestamp,
        expected -> Bool,
        form_version -> Integer,
        purged_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    day_stats (org_id, day, department_id) {
        org_id -> Text,
        day -> Date,
        department_id -> Text,
        expected -> Integer,
        exempt -> Integer,
        reported -> Integer,
        abnormal -> Integer,
        reported_unexpected -> Integer,
    }
}

diesel::table! {
    headcounts (org_id, department_id) {
        org_id -> Text,
        department_id -> Text,
        active -> Integer,
    }
}

diesel::table! {
    closed_days (org_id, day) {
        org_id -> Text,
        day -> Date,
        closed_at -> Timestamp,
    }
}

diesel::table! {
    checkin_revisions (id) {
        id -> Text,
        org_id -> Text,
        checkin_id -> Text,
        revision -> Integer,
        answers -> Text,
        abnormal -> Bool,
        abnormal_reasons -> Text,
        reason -> Nullable<Text>,
        submitted_by -> Text,
        submitted_at -> Timestamp,
        replaced_by -> Text,
        replaced_at -> Timestamp,
        form_version -> Integer,
    }
}

diesel::table! {
    forms (org_id, version) {
        org_id -> Text,
        version -> Integer,
        fields -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Nullable<Text>,
        kind -> Text,
        dedupe_key -> Text,
        to_email -> Text,
        locale -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        day -> Nullable<Date>,
        body_id -> Nullable<Text>,
        vars -> Nullable<Text>,
    }
}

diesel::table! {
    mail_bodies (id) {
        id -> Text,
        org_id -> Text,
        body_text -> Text,
        body_html -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attempt_windows (rule, key) {
        rule -> Text,
        key -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    reminder_requests (scope_key) {
        scope_key -> Text,
        org_id -> Text,
        last_at -> Timestamp,
    }
}

diesel::joinable!(departments -> organizations (org_id));
diesel::joinable!(users -> organizations (org_id));
diesel::joinable!(users -> departments (department_id));
diesel::joinable!(checkins -> organizations (org_id));
diesel::joinable!(forms -> organizations (org_id));
diesel::joinable!(checkin_revisions -> checkins (checkin_id));
diesel::joinable!(department_managers -> departments (department_id));
diesel::joinable!(department_managers -> users (user_id));
diesel::joinable!(leaves -> users (user_id));
diesel::joinable!(outbox -> organizations (org_id));
diesel::joinable!(outbox -> users (user_id));

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    departments,
    department_managers,
    leaves,
    membership_history,
    users,
    checkins,
    checkin_revisions,
    forms,
    day_stats,
    closed_days,
    headcounts,
    outbox,
    mail_bodies,
    reminder_requests,
);

diesel::table! {
    audit_log (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Nullable<Text>,
        action -> Text,
        scope -> Text,
        detail -> Text,
        created_at -> Timestamp,
        target_kind -> Nullable<Text>,
        target_id -> Nullable<Text>,
        target_name -> Nullable<Text>,
        changes -> Nullable<Text>,
    }
}

diesel::joinable!(audit_log -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(audit_log, users);

// A token's holder and its revocation are read in one statement.
diesel::allow_tables_to_appear_in_same_query!(revoked_tokens, users);
diesel::allow_tables_to_appear_in_same_query!(revoked_tokens, organizations);

diesel::table! {
    cases (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        status -> Text,
        opened_at -> Timestamp,
        updated_at -> Timestamp,
        assignee_id -> Nullable<Text>,
    }
}

diesel::table! {
    case_checkins (case_id, checkin_id) {
        case_id -> Text,
        checkin_id -> Text,
    }
}

diesel::table! {
    case_events (id) {
        id -> Text,
        case_id -> Text,
        org_id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        kind -> Text,
        status -> Nullable<Text>,
        note -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        checkin_id -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(cases, case_checkins, case_events);
diesel::allow_tables_to_appear_in_same_query!(cases, checkins);
diesel::allow_tables_to_appear_in_same_query!(cases, users);
diesel::allow_tables_to_appear_in_same_query!(case_checkins, checkins);

diesel::table! {
    webhooks (id) {
        id -> Text,
        org_id -> Text,
        url -> Text,
        format -> Text,
        events -> Text,
        secret -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}
