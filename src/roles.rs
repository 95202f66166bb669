//! Role requirements and the hook that tells a user's roles.
//!
//! A [`Requirement`] is one role, any of several, all of several, or any nesting of these,
//! written with constructors or with `|` and `&`:
//!
//! ```
//! use tower_httpauth::Requirement;
//!
//! // admin OR (editor AND reviewer)
//! let req = Requirement::role("admin") | (Requirement::role("editor") & Requirement::role("reviewer"));
//! assert!(req.is_satisfied_by(["editor", "reviewer"]));
//! assert!(req.is_satisfied_by(["admin"]));
//! assert!(!req.is_satisfied_by(["editor"]));
//! ```
//!
//! The layer asks a [`RolesHook`] for the user's roles only after authentication succeeded
//! and only on routes that carry a requirement. A user that lacks the roles gets `403`.
//!
//! An empty list is a configuration mistake (an all-of over nothing would admit every user),
//! so [`Requirement::all_of`] and [`Requirement::any_of`] refuse to build one, and an empty
//! list built from the variants directly is never satisfied.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::BoxError;

/// What a route requires of the user's roles.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// The user has this role (compared exactly, case-sensitively).
    Role(Cow<'static, str>),
    /// At least one of these is satisfied. An empty list is never satisfied.
    AnyOf(Vec<Requirement>),
    /// Every one of these is satisfied. An empty list is never satisfied either (fail
    /// closed: "all of nothing" would admit every user); [`Requirement::all_of`] refuses to
    /// build one.
    AllOf(Vec<Requirement>),
}

impl Requirement {
    /// Requires one role.
    pub fn role(role: impl Into<Cow<'static, str>>) -> Self {
        Requirement::Role(role.into())
    }

    /// Requires at least one of `roles`.
    ///
    /// # Panics
    ///
    /// If `roles` is empty: no user could ever satisfy the requirement, which is a
    /// configuration mistake rather than a way to close a route.
    pub fn any_of<I>(roles: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        let list: Vec<Requirement> = roles.into_iter().map(Into::into).collect();
        assert!(
            !list.is_empty(),
            "Requirement::any_of (or AuthLayer::require_any_role) needs at least one role"
        );
        Requirement::AnyOf(list)
    }

    /// Requires all of `roles`.
    ///
    /// # Panics
    ///
    /// If `roles` is empty: "all of nothing" would be satisfied by every user, so a list
    /// that came out empty (say, from an unset setting) would silently open the route.
    pub fn all_of<I>(roles: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        let list: Vec<Requirement> = roles.into_iter().map(Into::into).collect();
        assert!(
            !list.is_empty(),
            "Requirement::all_of (or AuthLayer::require_all_roles) needs at least one role"
        );
        Requirement::AllOf(list)
    }

    /// Whether a user with `roles` satisfies this requirement.
    pub fn is_satisfied_by<I>(&self, roles: I) -> bool
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let roles: Vec<I::Item> = roles.into_iter().collect();
        self.check(&|r: &str| roles.iter().any(|have| have.as_ref() == r))
    }

    fn check(&self, has: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Requirement::Role(r) => has(r),
            Requirement::AnyOf(list) => list.iter().any(|r| r.check(has)),
            // An empty list (only buildable from the variant itself) admits nobody.
            Requirement::AllOf(list) => !list.is_empty() && list.iter().all(|r| r.check(has)),
        }
    }

    /// The roles named anywhere in the requirement, space-separated (used as Bearer's
    /// `scope` in `403` answers).
    pub fn scope(&self) -> String {
        let mut out = String::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut String) {
        match self {
            Requirement::Role(r) => {
                if !out.split(' ').any(|x| x == r) {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(r);
                }
            }
            Requirement::AnyOf(list) | Requirement::AllOf(list) => list.iter().for_each(|r| r.collect(out)),
        }
    }
}

impl fmt::Debug for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, l: &[Requirement], op: &str| {
            f.write_str("(")?;
            for (i, r) in l.iter().enumerate() {
                if i > 0 {
                    f.write_str(op)?;
                }
                write!(f, "{r}")?;
            }
            f.write_str(")")
        };
        match self {
            Requirement::Role(r) => f.write_str(r),
            Requirement::AnyOf(l) => list(f, l, " | "),
            Requirement::AllOf(l) => list(f, l, " & "),
        }
    }
}

impl From<&'static str> for Requirement {
    fn from(role: &'static str) -> Self {
        Requirement::role(role)
    }
}

impl From<String> for Requirement {
    fn from(role: String) -> Self {
        Requirement::role(role)
    }
}

impl std::ops::BitOr for Requirement {
    type Output = Requirement;
    fn bitor(self, rhs: Requirement) -> Requirement {
        match self {
            Requirement::AnyOf(mut l) => {
                l.push(rhs);
                Requirement::AnyOf(l)
            }
            other => Requirement::AnyOf(vec![other, rhs]),
        }
    }
}

impl std::ops::BitAnd for Requirement {
    type Output = Requirement;
    fn bitand(self, rhs: Requirement) -> Requirement {
        match self {
            Requirement::AllOf(mut l) => {
                l.push(rhs);
                Requirement::AllOf(l)
            }
            other => Requirement::AllOf(vec![other, rhs]),
        }
    }
}

/// The roles of one user, as returned by a [`RolesHook`].
pub type Roles = Vec<String>;

/// Tells the roles of an authenticated user (Flask-HTTPAuth's `get_user_roles`).
///
/// Implemented for closures `Fn(&U) -> impl Future<Output = Result<R, E>>` where `R` is any
/// collection of strings; use [`SyncRoles`] (or [`AuthLayer::roles_from`](crate::AuthLayer::roles_from))
/// for a plain function.
pub trait RolesHook<U>: Send + Sync + 'static {
    /// The future that yields the roles.
    type Future: Future<Output = Result<Roles, BoxError>> + Send + 'static;

    /// Starts looking up the roles of `user`.
    fn roles(&self, user: &U) -> Self::Future;
}

/// The roles hook of a layer that has none: every user has no roles.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRoles;

impl<U> RolesHook<U> for NoRoles {
    type Future = Ready<Result<Roles, BoxError>>;
    fn roles(&self, _user: &U) -> Self::Future {
        ready(Ok(Vec::new()))
    }
}

impl<F, U, Fut, R, E> RolesHook<U> for F
where
    F: Fn(&U) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: IntoIterator,
    R::Item: Into<String>,
    E: Into<BoxError>,
{
    type Future = RolesFuture<Fut>;
    fn roles(&self, user: &U) -> Self::Future {
        RolesFuture { inner: self(user) }
    }
}

pin_project! {
    /// The future of a closure [`RolesHook`].
    pub struct RolesFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, R, E> Future for RolesFuture<F>
where
    F: Future<Output = Result<R, E>>,
    R: IntoIterator,
    R::Item: Into<String>,
    E: Into<BoxError>,
{
    type Output = Result<Roles, BoxError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx).map(|r| {
            r.map(|roles| roles.into_iter().map(Into::into).collect())
                .map_err(Into::into)
        })
    }
}

/// A roles hook from a plain (non-async) function of the user.
///
/// ```
/// use tower_httpauth::{RolesHook, SyncRoles};
/// struct User { roles: Vec<String> }
/// let hook = SyncRoles(|u: &User| u.roles.clone());
/// # let _ = hook;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SyncRoles<F>(pub F);

impl<F, U, R> RolesHook<U> for SyncRoles<F>
where
    F: Fn(&U) -> R + Send + Sync + 'static,
    R: IntoIterator,
    R::Item: Into<String>,
{
    type Future = Ready<Result<Roles, BoxError>>;
    fn roles(&self, user: &U) -> Self::Future {
        ready(Ok::<_, Infallible>((self.0)(user).into_iter().map(Into::into).collect()).map_err(|e| match e {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_requirements() {
        let r = Requirement::any_of(["a", "b"]) & Requirement::role("c");
        assert!(r.is_satisfied_by(["a", "c"]));
        assert!(r.is_satisfied_by(["b", "c"]));
        assert!(!r.is_satisfied_by(["a", "b"]));
        assert!(!r.is_satisfied_by(Vec::<String>::new()));
        assert!(!Requirement::AllOf(Vec::new()).is_satisfied_by(Vec::<String>::new()));
        assert!(!Requirement::AnyOf(Vec::new()).is_satisfied_by(["x"]));
        assert_eq!(r.scope(), "a b c");
        assert_eq!(r.to_string(), "((a | b) & c)");
    }

    #[test]
    fn roles_are_case_sensitive() {
        assert!(!Requirement::role("Admin").is_satisfied_by(["admin"]));
    }
}
