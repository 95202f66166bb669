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
//! The layer asks the roles hook ([`AuthLayer::roles`](crate::AuthLayer::roles)) for the user's roles only after authentication succeeded
//! and only on routes that carry a requirement. A user that lacks the roles gets `403`.
//!
//! An empty list is a configuration mistake (an all-of over nothing would admit every user),
//! so [`Requirement::all_of`] and [`Requirement::any_of`] refuse to build one, and an empty
//! list built from the variants directly is never satisfied.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use std::sync::Arc;

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

/// The future of a roles hook: the user's roles, or the hook's error (answered `500`).
pub(crate) type RolesFuture = Pin<Box<dyn Future<Output = Result<Vec<String>, BoxError>> + Send + 'static>>;

/// Tells the roles of an authenticated user (Flask-HTTPAuth's `get_user_roles`), type-erased
/// so that the layer's type does not change with it. Built by
/// [`AuthLayer::roles`](crate::AuthLayer::roles) and
/// [`AuthLayer::roles_from`](crate::AuthLayer::roles_from).
pub(crate) struct RolesHook<U>(Arc<dyn Fn(&U) -> RolesFuture + Send + Sync + 'static>);

impl<U> Clone for RolesHook<U> {
    fn clone(&self) -> Self {
        RolesHook(self.0.clone())
    }
}

impl<U: 'static> RolesHook<U> {
    /// From an async closure `Fn(&U) -> impl Future<Output = Result<impl IntoIterator<Item = impl Into<String>>, E>>`.
    pub(crate) fn from_async<F, Fut, R, E>(hook: F) -> Self
    where
        F: Fn(&U) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        R: IntoIterator,
        R::Item: Into<String>,
        E: Into<BoxError>,
    {
        RolesHook(Arc::new(move |user: &U| {
            let fut = hook(user);
            Box::pin(async move {
                let roles = fut.await.map_err(Into::into)?;
                Ok(roles.into_iter().map(Into::into).collect())
            }) as RolesFuture
        }))
    }

    /// From a plain function of the user.
    pub(crate) fn from_sync<F, R>(hook: F) -> Self
    where
        F: Fn(&U) -> R + Send + Sync + 'static,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        RolesHook(Arc::new(move |user: &U| {
            let roles: Vec<String> = hook(user).into_iter().map(Into::into).collect();
            Box::pin(std::future::ready(Ok(roles))) as RolesFuture
        }))
    }

    /// The roles of `user`.
    pub(crate) fn roles(&self, user: &U) -> RolesFuture {
        (self.0)(user)
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
