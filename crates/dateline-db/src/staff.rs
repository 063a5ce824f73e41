//! Staff accounts. Passwords arrive here already hashed (argon2id, by the caller); the hash is
//! only ever read back through [`People::staff_password_hash`], never as part of a [`StaffMember`].

use dateline_core::{Role, StaffMember};
use jiff::Timestamp;

use crate::{DbError, People, Result, from_micros, on_reader, on_writer};

/// A new staff account.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// An argon2id PHC string, or `None` for an account that sets its password through a
    /// one-time link.
    pub password_hash: Option<String>,
    pub author_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct StaffRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    author_id: Option<i64>,
    created_at: i64,
    disabled_at: Option<i64>,
}

pub(crate) const STAFF_COLUMNS: &str =
    "id, email, display_name, role, author_id, created_at, disabled_at";

impl TryFrom<StaffRow> for StaffMember {
    type Error = DbError;

    fn try_from(row: StaffRow) -> Result<Self> {
        let role = Role::parse(&row.role)
            .ok_or_else(|| DbError::Invalid(format!("unknown staff role {:?}", row.role)))?;
        Ok(StaffMember {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role,
            author_id: row.author_id,
            created_at: from_micros(row.created_at),
            disabled_at: row.disabled_at.map(from_micros),
        })
    }
}

/// Emails compare case-insensitively; they are stored in this form.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub(crate) fn check_staff_input(input: &NewStaff) -> Result<()> {
    let refused = dateline_core::staff::check_account(&input.email, &input.display_name);
    match dateline_core::Refusals::from_list(refused.into_iter().map(Into::into).collect()) {
        Some(refusals) => Err(DbError::Refused(refusals)),
        None => Ok(()),
    }
}

impl People<'_> {
    /// Creates a staff account without an audit entry (test fixtures); a taken email is
    /// [`DbError::Duplicate`]. Newsroom pages, the command line and the demo use
    /// [`People::create_staff_as`], which records who created the account.
    pub async fn create_staff(self, input: &NewStaff, now: Timestamp) -> Result<StaffMember> {
        check_staff_input(input)?;
        let sql = format!(
            "INSERT INTO staff (email, display_name, role, password_hash, author_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {STAFF_COLUMNS}"
        );
        let row: StaffRow = on_writer!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(normalise_email(&input.email))
                .bind(input.display_name.trim())
                .bind(input.role.as_str())
                .bind(&input.password_hash)
                .bind(input.author_id)
                .bind(crate::to_micros(now))
                .fetch_one(pool)
                .await?
        });
        row.try_into()
    }

    pub async fn staff_by_id(self, id: i64) -> Result<StaffMember> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1");
        let row: StaffRow = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(pool).await?
        });
        row.try_into()
    }

    pub async fn staff_by_email(self, email: &str) -> Result<StaffMember> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE email = $1");
        let row: StaffRow = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(normalise_email(email))
                .fetch_one(pool)
                .await?
        });
        row.try_into()
    }

    /// Every account, disabled ones included, by display name.
    pub async fn staff_members(self) -> Result<Vec<StaffMember>> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY display_name, id");
        let rows: Vec<StaffRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The stored argon2id hash, for verifying a login; `None` if no password was set yet.
    pub async fn staff_password_hash(self, id: i64) -> Result<Option<String>> {
        let hash: Option<String> = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT password_hash FROM staff WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?
        });
        Ok(hash)
    }

    pub async fn set_staff_password_hash(self, id: i64, password_hash: &str) -> Result<()> {
        let done = on_writer!(self.store, pool => {
            sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if done == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }
}
