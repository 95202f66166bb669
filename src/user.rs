//! How the authenticated user reaches the handler.
//!
//! After a successful authentication the layer inserts [`AuthUser<U>`] into the request
//! extensions. Any tower service can read it with [`AuthUser::from_request`]; with the
//! `axum` feature it is also an extractor, and `Option<AuthUser<U>>` works on routes
//! behind an [optional](crate::AuthLayer::optional) layer.
//!
//! ```
//! use tower_httpauth::AuthUser;
//!
//! let mut req = http::Request::new(());
//! req.extensions_mut().insert(AuthUser("john".to_string()));
//! assert_eq!(AuthUser::<String>::from_request(&req).map(|u| u.as_str()), Some("john"));
//! ```

use std::ops::{Deref, DerefMut};

/// The authenticated user, as the verifier returned it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AuthUser<U>(pub U);

impl<U: Send + Sync + 'static> AuthUser<U> {
    /// The user of an authenticated request, if any.
    pub fn from_request<B>(req: &http::Request<B>) -> Option<&U> {
        req.extensions().get::<AuthUser<U>>().map(|u| &u.0)
    }

    /// The user recorded in request parts, if any.
    pub fn from_parts(parts: &http::request::Parts) -> Option<&U> {
        parts.extensions.get::<AuthUser<U>>().map(|u| &u.0)
    }

    /// The inner user.
    pub fn into_inner(self) -> U {
        self.0
    }
}

/// The user type a layer hands on, recorded next to the user so that an extractor asking for
/// another type can say which one it would have found (axum only: nothing else reads it).
#[cfg(feature = "axum")]
#[derive(Clone, Copy)]
pub(crate) struct HandedOn(pub(crate) &'static str);

/// Hands `user` on in `extensions`, as [`AuthUser<U>`].
pub(crate) fn hand_on<U: Clone + Send + Sync + 'static>(extensions: &mut http::Extensions, user: U) {
    extensions.insert(AuthUser(user));
    #[cfg(feature = "axum")]
    extensions.insert(HandedOn(std::any::type_name::<U>()));
}

impl<U> Deref for AuthUser<U> {
    type Target = U;
    fn deref(&self) -> &U {
        &self.0
    }
}

impl<U> DerefMut for AuthUser<U> {
    fn deref_mut(&mut self) -> &mut U {
        &mut self.0
    }
}

#[cfg(feature = "axum")]
mod axum_impl {
    use super::{AuthUser, HandedOn};
    use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
    use axum_core::response::{IntoResponse, Response};
    use http::StatusCode;
    use http::request::Parts;

    /// The rejection of the [`AuthUser`] extractor when the request carries no user of the
    /// type asked for: the route has no authentication layer in front of it, the layer hands
    /// on another user type, or it hands none on
    /// ([`AuthLayer::insert_user`](crate::AuthLayer::insert_user)`(false)`). A programming
    /// error, answered `500` and logged with both type names; debug builds also put them in
    /// the body.
    #[derive(Debug, Clone, Copy)]
    pub struct MissingAuthUser {
        wanted: &'static str,
        found: Option<&'static str>,
    }

    impl MissingAuthUser {
        /// The user type the handler asked for.
        pub fn wanted(&self) -> &'static str {
            self.wanted
        }

        /// The user type the layer handed on, if a layer handed one on.
        pub fn found(&self) -> Option<&'static str> {
            self.found
        }
    }

    impl std::fmt::Display for MissingAuthUser {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self.found {
                Some(found) => write!(
                    f,
                    "the handler asks for AuthUser<{}>, but the authentication layer hands on AuthUser<{found}>",
                    self.wanted
                ),
                None => write!(
                    f,
                    "the handler asks for AuthUser<{}>, but no authentication layer handed a user on \
                     (no tower-httpauth layer in front of this route, or one built with insert_user(false))",
                    self.wanted
                ),
            }
        }
    }

    impl std::error::Error for MissingAuthUser {}

    impl IntoResponse for MissingAuthUser {
        fn into_response(self) -> Response {
            tracing::error!("{self}");
            let body = if cfg!(debug_assertions) {
                format!("500 Internal Server Error: {self}")
            } else {
                String::from("500 Internal Server Error")
            };
            (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
        }
    }

    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    impl<S, U> FromRequestParts<S> for AuthUser<U>
    where
        S: Send + Sync,
        U: Clone + Send + Sync + 'static,
    {
        type Rejection = MissingAuthUser;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
            parts
                .extensions
                .get::<AuthUser<U>>()
                .cloned()
                .ok_or_else(|| MissingAuthUser {
                    wanted: std::any::type_name::<U>(),
                    found: parts.extensions.get::<HandedOn>().map(|h| h.0),
                })
        }
    }

    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    impl<S, U> OptionalFromRequestParts<S> for AuthUser<U>
    where
        S: Send + Sync,
        U: Clone + Send + Sync + 'static,
    {
        type Rejection = MissingAuthUser;

        /// `None` when no user was handed on (an optional route without credentials); a
        /// user of another type is the same programming error as for [`AuthUser`].
        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
            if let Some(user) = parts.extensions.get::<AuthUser<U>>() {
                return Ok(Some(user.clone()));
            }
            match parts.extensions.get::<HandedOn>() {
                Some(found) => Err(MissingAuthUser {
                    wanted: std::any::type_name::<U>(),
                    found: Some(found.0),
                }),
                None => Ok(None),
            }
        }
    }
}

#[cfg(feature = "axum")]
pub use axum_impl::MissingAuthUser;
